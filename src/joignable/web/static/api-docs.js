// Starts Swagger UI on /docs. A file rather than an inline script so the
// page's Content-Security-Policy needs no 'unsafe-inline' (web/headers.py).
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    oauth2RedirectUrl: window.location.origin + root.dataset.oauth2Redirect,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: true, // the token survives a reload of the page
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();

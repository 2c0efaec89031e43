"""joignable: an open-source omnichannel contact-center engine."""

__version__ = "0.1.0"

# One schema package for the center's configuration and the simulator's scenarios:
# both documents are YAML written by people, so they share one loader, one problem
# type and one way of naming a misspelt key (issue 10, decision 0019).

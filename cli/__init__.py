"""`pulse`: the operator's command line, the demo and the process supervisor of `pulse run`."""

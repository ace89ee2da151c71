"""The figures pipeline: every number a manager or HR sees, through one privacy rule."""

"""Pattern-oriented validation: does the model reproduce what research on targets found?"""

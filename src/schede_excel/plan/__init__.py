"""Step 1, the plan: the model, typed ATTESO targets, the SMVP rules, the checks, plan files in and out.

`load.load_plan(path)` reads a YAML file or a plan workbook into a checked `Plan`;
`yamlwriter` and `workbook` write the plan in either form.
"""

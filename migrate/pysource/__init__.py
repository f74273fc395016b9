"""Reading Python source the same way everywhere: the models every analysis of a module shares.

`scopes`: what a name is bound to and what an imported name stands for, under the codemod's
call-site resolver (`transforms/_subprocess_model`) and the hook state analysis
(`hooks/state`) alike.
"""

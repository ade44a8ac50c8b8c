"""The git layer: every git command bumper runs, and what its answers mean.

url (repository URLs), refname (branch names), runner (the one door every git process goes
through: argv, environment, execution), errors (stderr to one line), clone (clone and narrow
checkout), read (read-only questions), commit (bumper's one commit), push (the leased push),
batch and log (bulk reads for history, through the runner).
"""

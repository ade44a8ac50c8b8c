"""Render-verify: the kustomize roots whose build includes a changed file, rendered before and
after the edit and compared, so a bump that would deploy nothing is caught before it lands."""

#!/usr/bin/python3
"""Renders the roles' templates the way the template module does (Ansible's own Templar, the
roles' defaults, a sample inventory), so npm test can check them without hosts.

stdin: {"host": NAME, "hosts": {NAME: {var: value}}, "groups": {group: [NAME...]},
        "extra": {var: value}, "templates": {"role/templates/x.j2": "/out/x"}}
"""
import json
import os
import sys

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

here = os.path.dirname(os.path.abspath(__file__))
playbook_dir = os.path.dirname(here)
req = json.load(sys.stdin)

variables = {}
for role in ("common", "flotilla"):
    with open(os.path.join(playbook_dir, "roles", role, "defaults", "main.yml")) as f:
        variables.update(yaml.safe_load(f) or {})
with open(os.path.join(playbook_dir, "group_vars", "all.yml")) as f:
    variables.update(yaml.safe_load(f) or {})
hostvars = {name: {**variables, **hv, "inventory_hostname": name} for name, hv in req["hosts"].items()}
variables.update(req["hosts"][req["host"]])
variables.update(req.get("extra", {}))
variables.update({
    "inventory_hostname": req["host"],
    "groups": {"all": list(req["hosts"]), **req["groups"]},
    "hostvars": hostvars,
    "playbook_dir": playbook_dir,
    "ansible_managed": "Ansible managed",
})
templar = Templar(loader=DataLoader(), variables=variables)
for src, dest in req["templates"].items():
    with open(os.path.join(playbook_dir, "roles", src)) as f:
        text = templar.do_template(f.read(), preserve_trailing_newlines=True, escape_backslashes=False)
    with open(dest, "w") as f:
        f.write(text)

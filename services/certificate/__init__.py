"""Disability certificate service (残疾人证): pure domain in domain.py, workflow.py, workdays.py,
policy.py, credential.py and disclosure.py; service.py and store.py come in the wiring phase."""

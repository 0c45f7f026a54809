"""Every route module in this package is loaded and its table joined: a service adds its routes
by adding a module here, nothing else. A module may also declare
    PERSON_FILE_SECTIONS = [(key, service, method)]   # its part of the person file (一人一档)
    AUDIT_OWNERS = {"id prefix": "service"}          # whose audit trail an entity id is in
"""
import importlib
import pkgutil

MODULES = [importlib.import_module("%s.%s" % (__name__, m.name))
           for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)]
TABLES = [m.routes for m in MODULES]
ALL_ROUTES = [route for table in TABLES for route in table.routes]
PERSON_FILE_SECTIONS = [s for m in MODULES for s in getattr(m, "PERSON_FILE_SECTIONS", [])]
AUDIT_OWNERS = {k: v for m in MODULES for k, v in getattr(m, "AUDIT_OWNERS", {}).items()}

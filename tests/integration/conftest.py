import contextlib

import pymongo


@contextlib.contextmanager
def scratch_db(stack, name):
    """A database of this stack's, empty at the start and dropped after."""
    client = pymongo.MongoClient(stack.env()["MONGO_URI"], tz_aware=True)
    name = stack.db_prefix + name
    client.drop_database(name)
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()

"""Scale-out over Redis (``--bus redis://…``): shard workers, one matching service, one trading
lease. Nothing here is imported unless ``--bus`` is given; without it arbkit is one process."""

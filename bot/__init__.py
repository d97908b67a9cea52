"""howtovote core: everything the bot knows, with no Discord in it.

Packages, lowest first; each may import only the shared modules and the packages before
it (tests/test_layers.py checks it):

- the shared modules here: `models` (value types), `errors`, `config`, `logs`, `textnorm`,
  `facts` (our checked-in CSV facts), `db` (opening the two SQLite files, schemas,
  migrations);
- `places`: query -> seat;
- `forecast`: polls, projections and the seat model;
- `elections`: the reference data, its sources and importers;
- `advice`: the advice rules and their rendering;
- `community`: what servers create;
- `evaluation`: backtests and the scorecard;
- on top: `service` (the one front door), `election_parts` (what services in one process
  share), and `cli`.
"""

__version__ = "0.1.0"

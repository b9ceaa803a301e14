"""The SphinxQL engine: a sharded Sphinx 2.2 / Manticore cluster exported from an embedded generation.

Modules, in the order data flows through them:
- `charmap`: the reversible character mapping that makes every character one token (exact phrases);
- `export`: an embedded generation → per-shard TSV sources, the document table, the bigram table;
- `config`: the searchd/indexer configuration of each node (local shard + distributed index);
- `cluster`: starting, stopping and signalling local searchd processes, running indexer;
- `deploy`: export + indexer + rotation + the switch of `sphinxql.json` (what `sphinx-config` runs);
- `matchexpr`: match trees → SphinxQL MATCH() expressions;
- `client`: a small thread-safe pool of PyMySQL connections with timeouts and fault messages;
- `backend`: `SphinxBackend`, the `Backend` interface over the cluster;
- `cli`: the `sphinx-*` subcommands.
"""

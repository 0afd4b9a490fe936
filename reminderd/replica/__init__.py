"""The off-machine copy of the log, kept by Litestream (a maintained engine that streams
SQLite's write-ahead log to a replica and restores it to any moment): nothing here copies
or merges a log by hand.

- `litestream`: the engine itself: where its binary is, its config, its command lines,
  the SFTP server's key, and what its control socket says.
- `supervisor`: the daemon's side: runs `litestream replicate`, restarts it with backoff,
  stops it with the daemon, and writes down what went wrong.
- `state`: what `status` and `doctor` show: last replicated, how far behind, last error.
- `restore`: a replica back into a new file, checked and described.
"""

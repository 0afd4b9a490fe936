"""The TOML config, read into frozen dataclasses: `settings` (the dataclasses), `values`
(one value each), `tables` (the schema as data), `collect` (every problem, with its key
path), `medication` and `links` (the tables with rules across keys), `load` (the file)."""

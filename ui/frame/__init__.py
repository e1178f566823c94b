"""The dashboard's frame as the package carries it: app.py, pages/ and .streamlit/config.toml,
which sit at the top of the project (where `streamlit run app.py` finds them) and are linked
here so that an installed `sanse` has them too (ui/entry.py and sanse/cli/serve.py find them either way)."""

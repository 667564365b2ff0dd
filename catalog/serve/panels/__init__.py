"""The dashboard's panels: each builds its Bokeh models and knows nothing of the others;
`symcat.serve.app` wires them together."""

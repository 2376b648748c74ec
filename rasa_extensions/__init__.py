"""Code the Rasa server loads: NLU components, channel connectors and stores."""

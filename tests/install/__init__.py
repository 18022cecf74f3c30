"""Installing the released artefacts as users do: HACS zip + Home Assistant, and pip."""

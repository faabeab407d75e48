"""List definitions: YAML data validated into frozen objects the engine enforces."""

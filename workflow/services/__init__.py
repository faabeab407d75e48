"""Use cases: one `verb_noun` function each, taking the Runtime, the actor, ids and inputs."""

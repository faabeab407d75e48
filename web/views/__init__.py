"""Page groups, one blueprint module each."""

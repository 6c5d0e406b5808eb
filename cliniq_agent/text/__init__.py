"""The text route: labelled lines, regex markers, terminology lookup, clinical criteria, ConText, mentions, and the tier list that runs them."""

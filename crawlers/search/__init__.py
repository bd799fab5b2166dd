"""Finding the post behind a quote printed without a link: providers, queries, scoring."""

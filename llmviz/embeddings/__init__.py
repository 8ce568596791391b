"""Chapter 2, embeddings: how token ids become vectors.

One-hot vectors and the lookup table, word2vec (CBOW and skip-gram) with its two output layers (hierarchical softmax
over a Huffman tree, negative sampling with subsampling), and fastText's character n-grams, each checked against
gensim where gensim is deterministic.
"""

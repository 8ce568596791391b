"""Chapter 2, embeddings: how token ids become vectors.

One-hot vectors and the lookup table; word2vec (CBOW and skip-gram) with its two
output layers (hierarchical softmax over a Huffman tree, negative sampling with
subsampling); what the vectors learn; fastText's character n-grams. Each is checked
against gensim where gensim is deterministic.
"""

from llmviz.embeddings.analogies import analogy_accuracy, analogy_questions
from llmviz.embeddings.classifier import (
    FastTextClassifier,
    TrainedClassifier,
    classifier_accuracy,
    classify,
    labelled_examples,
    split_examples,
    text_features,
    text_words,
    train_classifier,
)
from llmviz.embeddings.corpus import chinese_sentences, english_sentences
from llmviz.embeddings.fasttext import (
    char_ngrams,
    ft_hash,
    ngram_buckets,
    oov_vector,
    table_sizes,
)
from llmviz.embeddings.fasttext_train import (
    FastTextResult,
    subword_rows,
    train_fasttext,
    word_vector,
)
from llmviz.embeddings.huffman import expected_code_length, huffman_codes
from llmviz.embeddings.onehot import (
    cosine_matrix,
    lookup_by_matmul,
    nearest_rows,
    one_hot,
)
from llmviz.embeddings.pretrained import (
    english_vocab,
    load_output,
    load_vectors,
    training_log,
)
from llmviz.embeddings.similarity import (
    analogy,
    context_counts,
    nearest,
    neighbour_overlap,
    pca_2d,
)
from llmviz.embeddings.toy import analogy_set, toy_sentences
from llmviz.embeddings.vocab import (
    Vocab,
    build_vocab,
    encode,
    keep_probability,
    noise_distribution,
    noise_table,
)
from llmviz.embeddings.word2vec import (
    cbow_context_grads,
    cbow_hidden,
    hs_grads,
    hs_loss,
    sgns_grads,
    sgns_loss,
)
from llmviz.embeddings.word2vec_pairs import (
    cbow_windows,
    context_positions,
    skipgram_pairs,
    subsample,
)
from llmviz.embeddings.word2vec_train import Word2VecResult, train_word2vec

__all__ = [
    "FastTextClassifier",
    "FastTextResult",
    "TrainedClassifier",
    "Vocab",
    "Word2VecResult",
    "analogy",
    "analogy_accuracy",
    "analogy_questions",
    "analogy_set",
    "build_vocab",
    "cbow_context_grads",
    "cbow_hidden",
    "cbow_windows",
    "char_ngrams",
    "chinese_sentences",
    "classifier_accuracy",
    "classify",
    "context_counts",
    "context_positions",
    "cosine_matrix",
    "encode",
    "english_sentences",
    "english_vocab",
    "expected_code_length",
    "ft_hash",
    "hs_grads",
    "hs_loss",
    "huffman_codes",
    "keep_probability",
    "labelled_examples",
    "load_output",
    "load_vectors",
    "lookup_by_matmul",
    "nearest",
    "nearest_rows",
    "neighbour_overlap",
    "ngram_buckets",
    "noise_distribution",
    "noise_table",
    "one_hot",
    "oov_vector",
    "pca_2d",
    "sgns_grads",
    "sgns_loss",
    "skipgram_pairs",
    "split_examples",
    "subsample",
    "subword_rows",
    "table_sizes",
    "text_features",
    "text_words",
    "toy_sentences",
    "train_classifier",
    "train_fasttext",
    "train_word2vec",
    "training_log",
    "word_vector",
]

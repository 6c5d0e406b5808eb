"""Local language-model runtime (llama-cpp-python): bundled model files, loading, generation."""

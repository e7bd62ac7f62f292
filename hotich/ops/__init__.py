"""Operations: training with a model cache, starting the three processes of the stack."""

/** A small CNN that trains quickly even on the slow cpu backend. */
export const SMALL_CNN = {
  filters1: 4,
  filters2: 8,
  dense1: 16,
  dropout: 0.25,
  global_batch_size: 32,
  learning_rate: 0.01,
};

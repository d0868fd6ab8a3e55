/* rnnbook's model facts for the kernel (book/_static/facts.json as C), written by
 * `python -m rnnbook.facts` from the Python sources: do not edit. */
#ifndef RNNBOOK_FACTS_H
#define RNNBOOK_FACTS_H

#define CELL_RNN 0
#define CELL_GRU 1
#define CELL_LSTM 2
#define CELL_GATES {1, 3, 4}  /* gates of each cell */
#define BN_EPS 1e-05  /* nn.BatchNorm1d's eps and momentum */
#define BN_MOMENTUM 0.1f

/* The parameters in PyTorch's named_parameters() order, X(field, rows, columns,
 * decayed): LAYOUT_HEAD, then LAYOUT_LAYER for each layer, LAYOUT_TAIL, and
 * LAYOUT_BN if the model has batchnorm. V tokens, H hidden units, G gates. */
#define LAYOUT_HEAD(X) \
  X(embedding, V, H, 1)

#define LAYOUT_LAYER(X) \
  X(w_ih, G * H, H, 1) \
  X(w_hh, G * H, H, 1) \
  X(b_ih, G * H, 1, 0) \
  X(b_hh, G * H, 1, 0)

#define LAYOUT_TAIL(X) \
  X(out_w, V, H, 1) \
  X(out_b, V, 1, 0)

#define LAYOUT_BN(X) \
  X(bn_w, H, 1, 0) \
  X(bn_b, H, 1, 0)

#endif

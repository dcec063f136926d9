"""The per-well LSTM: one ``nn.LSTM`` layer and a linear head, (B, T, F) -> (B, T) scaled level.

The forget-gate bias starts at +3 so that the cell state carries information across long gaps from the first
epoch on (without it many real wells stayed at their mean). Weights are drawn from a seed without disturbing
torch's global random state, so the same seed always gives the same initial network.
"""
import torch
from torch import nn

FORGET_BIAS = 3.0


class WellLSTM(nn.Module):
    """LSTM over daily inputs; the head reads every time step.

    ``forward(x)`` with ``x`` of shape (batch, time, n_features) returns (batch, time): the scaled level
    simulated for every day of the window. The prediction for the last day of a window is ``out[:, -1]``.
    """

    def __init__(self, n_features, hidden=32, dropout=0.0, seed=None, forget_bias=FORGET_BIAS):
        super().__init__()
        self.n_features = int(n_features)
        self.hidden = int(hidden)
        self.dropout_p = float(dropout)
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(int(seed))
            self.lstm = nn.LSTM(self.n_features, self.hidden, batch_first=True)
            self.dropout = nn.Dropout(self.dropout_p)
            self.head = nn.Linear(self.hidden, 1)
        with torch.no_grad():
            # gate order in torch: input, forget, cell, output; the two bias vectors add up
            h = self.hidden
            self.lstm.bias_ih_l0[h:2 * h].fill_(float(forget_bias))
            self.lstm.bias_hh_l0[h:2 * h].zero_()

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(self.dropout(out)).squeeze(-1)

    def spec(self):
        """Constructor arguments, enough to rebuild the module before loading a state dict."""
        return {"n_features": self.n_features, "hidden": self.hidden, "dropout": self.dropout_p}

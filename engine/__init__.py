"""fmfl's headless engine: stamp a feature into training samples, train across counts and
seeds, measure memorisation and learning every epoch, classify counts into zones."""

__version__ = "0.1.0"

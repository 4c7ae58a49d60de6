"""FaceGAN: train DCGAN / WGAN / WGAN-GP face generators and show them off."""

__version__ = "0.1.0"

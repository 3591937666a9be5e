"""Every pytest run here (unit tests, strict nbval of the chapters, mutation
testing) computes what the stored outputs hold: on the CPU unless
``$CNN_COURSE_DEVICE`` names a device, without progress bars. The kernels
that nbval starts inherit this environment."""

import os

from utils import config

os.environ.update(config.for_stored_outputs())

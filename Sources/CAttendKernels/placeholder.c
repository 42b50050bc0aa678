#include "CAttendKernels.h"

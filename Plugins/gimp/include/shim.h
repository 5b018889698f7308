#include <libgimp/gimp.h>
#include <stylize.h>
#include "stylize-gimp.h"

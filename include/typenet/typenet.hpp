#pragma once
// The public API of typenet: include this one header.
#include "typenet/activations.hpp"
#include "typenet/error.hpp"
#include "typenet/fit.hpp"
#include "typenet/layers/conv2d.hpp"
#include "typenet/layers/dense.hpp"
#include "typenet/layers/reshape.hpp"
#include "typenet/losses.hpp"
#include "typenet/model.hpp"
#include "typenet/optimizers.hpp"
#include "typenet/samples.hpp"
#include "typenet/shape.hpp"
#include "typenet/trainer.hpp"

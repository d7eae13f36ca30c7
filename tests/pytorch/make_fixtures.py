#!/usr/bin/python3
"""Fixtures for tests/test_safetensors.cpp: the notebook's two autoencoders in
PyTorch (bench/compare/pytorch_autoencoders.py) and the Keras blog's deep
convolutional autoencoder (bench/compare/pytorch_conv_autoencoder.py) with seeded random weights,
saved as safetensors files, and what they compute on four images; a small
convolutional network with batch normalization and dropout, its running
statistics learnt in training mode, and what it computes in eval() mode; two small networks with a Linear after
nn.Flatten of a many-channel image, or before nn.Unflatten to one;
the U-Net denoiser of bench/compare/pytorch_unet_denoiser.py, whose skips
concatenate channels before a ConvTranspose2d and a Conv2d; and for
tests/test_user_layer.cpp, the same for its Net, whose layer Scale is the user's own (tests/support/scale_layer.hpp).

Debian 12 packages no `safetensors` for Python, so the files are read and
written here with `json` and `struct` alone. Run with Debian's interpreter
(python3-torch is installed for it only):

    /usr/bin/python3 tests/pytorch/make_fixtures.py            # rewrites tests/pytorch/fixtures/
    /usr/bin/python3 tests/pytorch/make_fixtures.py --check DIR
    /usr/bin/python3 tests/pytorch/make_fixtures.py --check-user-layer DIR
    /usr/bin/python3 tests/pytorch/make_fixtures.py --check-batchnorm DIR
    /usr/bin/python3 tests/pytorch/make_fixtures.py --check-image-net flatten|unflatten DIR
    /usr/bin/python3 tests/pytorch/make_fixtures.py --check-unet DIR

--check reads the files test_safetensors writes when TYPENET_SAFETENSORS_EXPORT
names a folder: typenet's own weights for each model (<model>.safetensors),
loaded here with load_state_dict(strict=True), and typenet's outputs on the
fixture images (<model>_outputs.safetensors), compared with PyTorch's.
--check-user-layer does the same with the files test_user_layer writes
(user_layer.safetensors, user_layer_outputs.safetensors); ctest runs it.
--check-batchnorm does it with test_safetensors's (batchnorm.safetensors,
batchnorm_outputs.safetensors); ctest runs it too. --check-image-net does it
for the networks whose Linear takes a flattened image or gives one to
nn.Unflatten (flatten.safetensors, flatten_outputs.safetensors, ...); ctest
runs it too. --check-unet does it for the U-Net (unet.safetensors,
unet_outputs.safetensors); ctest runs it too.
Without torch or numpy the script exits with 77, which that test takes as
"skip".
"""

import argparse
import json
import struct
import sys
from collections import OrderedDict
from pathlib import Path

try:
    import numpy as np
    import torch
    from torch import nn
except ModuleNotFoundError as missing:
    print(f"{missing}: install python3-torch (Debian's, for /usr/bin/python3)", file=sys.stderr)
    sys.exit(77)

sys.dont_write_bytecode = True  # no __pycache__ left in bench/compare
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "compare"))
import pytorch_autoencoders as reference  # noqa: E402  (the models, as the benchmark trains them)
import pytorch_conv_autoencoder  # noqa: E402
import pytorch_unet_denoiser  # noqa: E402
from pytorch_fashion_cnn import BATCH_NORM  # noqa: E402  (Keras's momentum and epsilon)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = 2024
IMAGE_COUNT = 4
BIAS_LIMIT = 0.2  # Keras starts biases at zero, which would leave them untested
TOLERANCE = 1e-5
USER_LAYER_ROWS = 5
BATCHNORM_IMAGES = 4
BATCHNORM_SIZE = 10  # the images' height and width
BATCHNORM_TRAINING_BATCHES = 300  # enough for momentum 0.01 to move the statistics most of the way
UNET_SEED = SEED + 11  # the U-Net's weights; its images are drawn from UNET_SEED + 1

# The benchmark builds each model as one nn.Sequential; typenet's models have
# an encoder and a decoder. Here: how many of the Sequential's modules are the encoder's.
ENCODER_MODULES = {"dense": 3, "denoise": 4, "conv": 9}


def conv_autoencoder():
    """The Keras blog's deep convolutional autoencoder with its sigmoid: the
    benchmark trains on its logits, typenet's model ends in the probabilities."""
    return nn.Sequential(*pytorch_conv_autoencoder.conv_autoencoder(), nn.Sigmoid())


BUILDERS = {"dense": reference.dense_autoencoder, "denoise": reference.denoising_autoencoder, "conv": conv_autoencoder}


def numbered_by_parameters(modules):
    """nn.Sequential in which the modules with parameters are named 0, 1, 2...

    typenet numbers the layers with parameters in each part (an activation is
    part of its layer there, a Flatten a view), so that PyTorch's state_dict()
    names them encoder.0.weight, encoder.0.bias, ... The other modules are
    named after their class and the number of the last module with parameters
    before them ("relu0"), or their class alone before the first.
    """
    named = OrderedDict()
    number = -1
    for module in modules:
        if any(True for _ in module.parameters(recurse=False)):
            number += 1
            named[str(number)] = module
        else:
            named[type(module).__name__.lower() + (str(number) if number >= 0 else "")] = module
    return nn.Sequential(named)


class Autoencoder(nn.Module):
    """The benchmark's Sequential cut into the encoder and decoder of typenet's Model."""

    def __init__(self, name):
        super().__init__()
        modules = list(BUILDERS[name]())
        self.encoder = numbered_by_parameters(modules[:ENCODER_MODULES[name]])
        self.decoder = numbered_by_parameters(modules[ENCODER_MODULES[name]:])

    def forward(self, x):
        return self.decoder(self.encoder(x))


def seeded(build, seed):
    """build() with the benchmark's Glorot-uniform weights and biases uniform in
    [-BIAS_LIMIT, BIAS_LIMIT), all drawn from `seed`, in eval() mode."""
    torch.manual_seed(seed)
    model = build()
    reference.initialize_like_keras(model)
    with torch.no_grad():
        for module_name, parameter in model.named_parameters():
            if module_name.endswith(".bias"):
                parameter.uniform_(-BIAS_LIMIT, BIAS_LIMIT)
    return model.eval()


def seeded_model(name, seed):
    return seeded(lambda: Autoencoder(name), seed)


def torch_input(name, images):
    """Images (n, 28, 28) as the model takes them: the conv model wants a channel axis."""
    return images if name == "dense" else images.unsqueeze(1)


def channels_last(tensor):
    """PyTorch's (n, c, h, w) as typenet (and Keras) lay it out: (n, h, w, c)."""
    return tensor.permute(0, 2, 3, 1) if tensor.dim() == 4 else tensor


@torch.no_grad()
def run(model, name, images, dtype=torch.float64):
    """Codes and outputs in typenet's layout, computed at `dtype`.

    float64 by default: the reference is then PyTorch's network computed
    almost exactly, and what the test measures is typenet's float32 error.
    """
    model = model.to(dtype)
    codes = model.encoder(torch_input(name, images.to(dtype)))
    outputs = model.decoder(codes)
    model.float()
    return {"codes": channels_last(codes).float(), "outputs": channels_last(outputs).float()}


class Scale(nn.Module):
    """typenet::testing::Scale of tests/support/scale_layer.hpp: y = x * weight
    over the last axis, one factor per channel in a parameter `weight` of
    shape (channels,), the torch_name its TensorInfo gives."""

    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))

    def forward(self, x):
        return x * self.weight


def user_layer_net():
    """test_user_layer's Net: Input<6>, one part of Dense<4, Tanh>, Scale, Dense<6>,
    saved with no part name, so its state_dict() holds 0.weight, 0.bias,
    1.weight (Scale's factors), 2.weight, 2.bias."""
    return numbered_by_parameters([nn.Linear(6, 4), nn.Tanh(), Scale(4), nn.Linear(4, 6)])


def seeded_user_layer_net(seed):
    """PyTorch's own initialization for the Linears (biases included), and
    factors in [0.5, 1.5): factors of 1 would leave Scale untested."""
    torch.manual_seed(seed)
    model = user_layer_net()
    with torch.no_grad():
        for module in model:
            if isinstance(module, Scale):
                module.weight.uniform_(0.5, 1.5)
    return model.eval()


@torch.no_grad()
def run_sequential(model, inputs, dtype=torch.float64):
    """The outputs, computed at `dtype` (float64 by default, as run())."""
    outputs = model.to(dtype)(inputs.to(dtype)).float()
    model.float()
    return outputs


def batchnorm_net():
    """test_safetensors's BatchNormalized: Input<10, 10, 1>, one part of
    Conv2D<8, 3, 1, Same, Linear, NoBias>, BatchNormalization<"0.99", "0.001">,
    Activation<ReLU>, MaxPooling2D<2>, Dropout<"0.25">, Conv2D<4, ...>,
    BatchNormalization, Activation<ReLU>. Numbered by parameters, its
    state_dict() holds 0.weight, 1.weight, 1.bias, 1.running_mean,
    1.running_var, 1.num_batches_tracked (int64), 2.weight, 3.weight ...
    3.num_batches_tracked (a plain nn.Sequential would number the second
    convolution and batch norm 5 and 6)."""
    return numbered_by_parameters([
        nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8, **BATCH_NORM), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Conv2d(8, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4, **BATCH_NORM), nn.ReLU(),
    ])


def batchnorm_inputs(count, generator):
    """Images (count, 1, 10, 10), uniform in [0, 1): their mean is not 0, so neither are the running means."""
    return torch.rand(count, 1, BATCHNORM_SIZE, BATCHNORM_SIZE, generator=generator)


def seeded_batchnorm_net(seed):
    """PyTorch's initialization for the convolutions; gamma in [0.5, 1.5) and
    beta in [-0.2, 0.2), not PyTorch's 1 and 0, which would leave them
    untested; the running statistics and num_batches_tracked learnt from
    batches of 16 in train() mode, forward passes alone."""
    torch.manual_seed(seed)
    model = batchnorm_net()
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for module in model:
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
        model.train()
        for _ in range(BATCHNORM_TRAINING_BATCHES):
            model(batchnorm_inputs(16, generator))
    return model.eval()


def run_on_images(model, images, dtype=torch.float64):
    """Outputs for images (n, h, w, c) in typenet's layout, in typenet's layout."""
    return channels_last(run_sequential(model, images.permute(0, 3, 1, 2), dtype))


def flatten_net():
    """test_safetensors's Flattened: Input<8, 8, 1>, one part of Conv2D<4, 3, 1,
    Same, ReLU>, MaxPooling2D<2>, Flatten, Dense<16, ReLU>, Dense<3>. PyTorch
    flattens the (4, 4, 4) image channels first, typenet channels last: the
    first Linear's weight (16, 64) is typenet's kernel (64, 16) reordered."""
    return numbered_by_parameters([
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 16), nn.ReLU(),
        nn.Linear(16, 3),
    ])


def unflatten_net():
    """test_safetensors's Unflattened: Input<4, 4, 2>, one part of Flatten,
    Dense<18>, Reshape<3, 3, 2>, Conv2D<2, 3, 1, Same>: the Linear's inputs
    and outputs (weight and bias) are images, both reordered."""
    return numbered_by_parameters([
        nn.Flatten(), nn.Linear(32, 18), nn.Unflatten(1, (2, 3, 3)), nn.Conv2d(2, 2, 3, padding=1),
    ])


# The networks whose flat features are images, by name: the network, the shape
# (c, h, w) of its inputs and the seeds of its weights and inputs.
IMAGE_NETS = {"flatten": (flatten_net, (1, 8, 8), SEED + 7), "unflatten": (unflatten_net, (2, 4, 4), SEED + 9)}


def seeded_image_net(name):
    """PyTorch's initialization (biases included), from the net's seed."""
    build, _, seed = IMAGE_NETS[name]
    torch.manual_seed(seed)
    return build().eval()


def image_net_inputs(name):
    """Images (4, h, w, c), uniform in [0, 1), in typenet's layout."""
    _, shape, seed = IMAGE_NETS[name]
    return channels_last(torch.rand(IMAGE_COUNT, *shape, generator=torch.Generator().manual_seed(seed + 1)))


def unet_inputs():
    """Images (4, 28, 28, 1), uniform in [0, 1), in typenet's layout."""
    images = torch.rand(IMAGE_COUNT, 1, 28, 28, generator=torch.Generator().manual_seed(UNET_SEED + 1))
    return channels_last(images)


# The dtypes of the tensors these files hold (int64: BatchNorm2d's
# num_batches_tracked), as safetensors and numpy name them.
DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def safetensors_bytes(tensors, metadata):
    """Float32 and int64 tensors as a safetensors file: u64 header length, JSON header, data."""
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        dtype, layout = DTYPES[tensor.dtype]
        data = tensor.detach().contiguous().numpy().astype(layout).tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)  # the data starts 8-byte aligned, as the safetensors library writes it
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def read_safetensors(path):
    """The float32 and int64 tensors of a safetensors file, by name."""
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    start = 8 + length
    layouts = {dtype: (torch_dtype, layout) for torch_dtype, (dtype, layout) in DTYPES.items()}
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in layouts:
            raise ValueError(f"{path}: tensor {name} is {info['dtype']}, not {' or '.join(layouts)}")
        torch_dtype, layout = layouts[info["dtype"]]
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[start + begin:start + end], dtype=layout).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy()).to(torch_dtype)
    return tensors


def write(path, tensors, metadata):
    path.write_bytes(safetensors_bytes(tensors, metadata))
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def make_fixtures():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    images = torch.rand(IMAGE_COUNT, 28, 28, generator=torch.Generator().manual_seed(SEED))
    examples = {"images": images}
    for index, name in enumerate(BUILDERS):
        model = seeded_model(name, SEED + 1 + index)
        write(FIXTURES / f"{name}.safetensors", model.state_dict(),
              {"format": "pt", "source": f"tests/pytorch/make_fixtures.py, torch {torch.__version__}"})
        exact = run(model, name, images)
        single = run(model, name, images, torch.float32)
        for output, value in exact.items():
            examples[f"{name}.{output}"] = value
            print(f"{name}.{output}: PyTorch float32 differs from float64 by at most "
                  f"{(single[output] - value).abs().max().item():.3g}")
    write(FIXTURES / "examples.safetensors", examples,
          {"images": "uniform in [0, 1); outputs and codes in typenet's (channels-last) layout, computed in float64"})
    user_layer_inputs = torch.rand(USER_LAYER_ROWS, 6, generator=torch.Generator().manual_seed(SEED + 4)) * 2 - 1
    make_net_fixtures("user_layer", seeded_user_layer_net(SEED + 3), user_layer_inputs, run_sequential,
                      "uniform in [-1, 1)")
    batchnorm_images = batchnorm_inputs(BATCHNORM_IMAGES, torch.Generator().manual_seed(SEED + 5))
    make_net_fixtures("batchnorm", seeded_batchnorm_net(SEED + 6), channels_last(batchnorm_images), run_on_images,
                      "uniform in [0, 1), (n, 10, 10, 1); outputs in typenet's (channels-last) layout")
    for name in IMAGE_NETS:
        make_net_fixtures(name, seeded_image_net(name), image_net_inputs(name), run_on_images,
                          "uniform in [0, 1), (n, h, w, c); outputs in typenet's (channels-last) layout")
    make_net_fixtures("unet", seeded(pytorch_unet_denoiser.UNetDenoiser, UNET_SEED), unet_inputs(), run_on_images,
                      "uniform in [0, 1), (n, 28, 28, 1); outputs in typenet's (channels-last) layout")


def make_net_fixtures(name, model, inputs, run_net, about_inputs):
    """<name>.safetensors holds the weights alone, so that typenet's strict
    load_safetensors takes it; the inputs and outputs are in <name>_examples."""
    write(FIXTURES / f"{name}.safetensors", model.state_dict(),
          {"format": "pt", "source": f"tests/pytorch/make_fixtures.py, torch {torch.__version__}"})
    outputs = run_net(model, inputs)
    print(f"{name}.outputs: PyTorch float32 differs from float64 by at most "
          f"{(run_net(model, inputs, torch.float32) - outputs).abs().max().item():.3g}")
    write(FIXTURES / f"{name}_examples.safetensors", {"inputs": inputs, "outputs": outputs},
          {"inputs": f"{about_inputs}; outputs computed in float64"})


def check(folder):
    """Loads typenet's weights into PyTorch and compares its outputs with typenet's."""
    worst = 0.0
    for name in BUILDERS:
        model = Autoencoder(name).eval()
        model.load_state_dict(read_safetensors(folder / f"{name}.safetensors"), strict=True)
        typenet = read_safetensors(folder / f"{name}_outputs.safetensors")
        for output, value in run(model, name, typenet["images"]).items():
            difference = (typenet[output] - value).abs().max().item()
            worst = max(worst, difference)
            print(f"{name}.{output}: typenet's weights in PyTorch, max abs difference {difference:.3g}")
    if worst > TOLERANCE:
        sys.exit(f"differences above {TOLERANCE}")


def check_net(folder, name, model, run_net):
    """Loads typenet's weights (<name>.safetensors) into the eval() model with
    load_state_dict(strict=True), each tensor of PyTorch's own dtype (load_state_dict
    would convert an F32 num_batches_tracked silently), and compares its outputs
    on typenet's inputs with typenet's (<name>_outputs.safetensors)."""
    weights = read_safetensors(folder / f"{name}.safetensors")
    for key, tensor in model.state_dict().items():
        if key in weights and weights[key].dtype != tensor.dtype:
            sys.exit(f"{name}: tensor {key} is {weights[key].dtype} in typenet's file, {tensor.dtype} in PyTorch")
    model.load_state_dict(weights, strict=True)
    typenet = read_safetensors(folder / f"{name}_outputs.safetensors")
    outputs = run_net(model, typenet["inputs"])
    if typenet["outputs"].shape != outputs.shape:
        sys.exit(f"typenet's outputs have the shape {tuple(typenet['outputs'].shape)}, "
                 f"PyTorch's {tuple(outputs.shape)}")
    difference = (typenet["outputs"] - outputs).abs().max().item()
    print(f"{name}.outputs: typenet's weights in PyTorch, max abs difference {difference:.3g}")
    if not difference <= TOLERANCE:  # NaN too
        sys.exit(f"difference {difference:.3g} above {TOLERANCE}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", type=Path, metavar="DIR",
                        help="compare the files test_safetensors exported to DIR instead of writing fixtures")
    parser.add_argument("--check-user-layer", type=Path, metavar="DIR",
                        help="compare the files test_user_layer exported to DIR instead of writing fixtures")
    parser.add_argument("--check-batchnorm", type=Path, metavar="DIR",
                        help="compare the batch-normalized network test_safetensors exported to DIR instead")
    parser.add_argument("--check-image-net", nargs=2, metavar=("NAME", "DIR"),
                        help=f"compare the network NAME ({', '.join(IMAGE_NETS)}) test_safetensors exported to DIR")
    parser.add_argument("--check-unet", type=Path, metavar="DIR",
                        help="compare the U-Net denoiser test_safetensors exported to DIR instead")
    arguments = parser.parse_args()
    if arguments.check:
        check(arguments.check)
    elif arguments.check_user_layer:
        check_net(arguments.check_user_layer, "user_layer", user_layer_net().eval(), run_sequential)
    elif arguments.check_batchnorm:
        check_net(arguments.check_batchnorm, "batchnorm", batchnorm_net().eval(), run_on_images)
    elif arguments.check_image_net:
        name, folder = arguments.check_image_net
        check_net(Path(folder), name, IMAGE_NETS[name][0]().eval(), run_on_images)
    elif arguments.check_unet:
        check_net(arguments.check_unet, "unet", pytorch_unet_denoiser.UNetDenoiser().eval(), run_on_images)
    else:
        make_fixtures()


if __name__ == "__main__":
    main()

// A layer of the user's own (support/scale_layer.hpp), with no line of the
// library changed for it: it trains in a model, passes test_layer, saves and
// loads as a model file and a checkpoint, and exports to safetensors and to a
// header, all from what its own header declares.
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "typenet/io/export_header.hpp"
#include "typenet/io/model_file.hpp"
#include "typenet/io/safetensors.hpp"
#include "typenet/testing/test_layer.hpp"
#include "typenet/typenet.hpp"
#include "support/scale_layer.hpp"

namespace {

namespace fs = std::filesystem;
namespace tn = typenet;
namespace io = typenet::io;

using tn::testing::Scale;

// One part, as PyTorch's nn.Sequential(Linear(6, 4), Scale(4), Linear(4, 6)) with the activation inside
// the Linear's module numbering left out (typenet numbers the modules that hold parameters).
struct Body : tn::Sequential<tn::Dense<4, tn::Tanh>, Scale<>, tn::Dense<6>> {};
using Net = tn::Model<tn::Input<6>, Body>;
using NetOtherSetting = tn::Model<tn::Input<6>, tn::Dense<4, tn::Tanh>, Scale<"0.5">, tn::Dense<6>>;

std::vector<float> rows_of(std::size_t rows, std::uint64_t seed) {
    tn::Random random(seed);
    std::vector<float> values(rows * 6);
    for (auto& v : values) v = random.uniform(-1.0f, 1.0f);
    return values;
}

fs::path scratch_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("typenet-user-layer-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

}  // namespace

TEST(UserLayer, PassesTestLayer) {
    const auto report = tn::testing::test_layer<Scale<>, tn::Shape<3, 4>>();
    EXPECT_TRUE(report.passed()) << report.summary();
}

TEST(UserLayer, TrainsInAModel) {
    Net model(1);
    tn::Trainer<Net, tn::Adam, tn::MSE, 16> trainer(model, tn::Adam{.learning_rate = 0.02f});
    const auto inputs = rows_of(16, 2);
    const double first = trainer.step(inputs, inputs);
    double last = first;
    for (int step = 0; step < 300; ++step) last = trainer.step(inputs, inputs);
    EXPECT_LT(last, 0.5 * first) << "loss " << first << " -> " << last;
    // The factors moved: the layer's gradient reached the optimizer.
    const float* factors = model.parameters().data() + Net::graph::parameter_offsets[1];
    EXPECT_TRUE(std::any_of(factors, factors + 4, [](float f) { return std::abs(f - 1.0f) > 1e-3f; }));
}

TEST(UserLayer, ItsSettingsKeyTheArchitecture) {
    EXPECT_NE(io::architecture<Net>().find("1 Scale initial(1) (4) -> (4) factor(4)\n"), std::string::npos)
        << io::architecture<Net>();
    EXPECT_NE(io::architecture_signature<Net>(), io::architecture_signature<NetOtherSetting>());
}

TEST(UserLayer, SavesAndLoadsAsModelFileAndCheckpoint) {
    const fs::path dir = scratch_dir("files");
    Net model(3);
    tn::Trainer<Net, tn::Adam, tn::MSE, 8> trainer(model);
    const auto inputs = rows_of(8, 4);
    for (int step = 0; step < 3; ++step) trainer.step(inputs, inputs);

    io::save_model(dir / "model.tnm", model);
    Net loaded(9);
    io::load_model(dir / "model.tnm", loaded);
    EXPECT_TRUE(std::ranges::equal(model.parameters(), loaded.parameters()));
    NetOtherSetting other(9);
    EXPECT_THROW(io::load_model(dir / "model.tnm", other), tn::DataError);

    io::save_checkpoint(dir / "checkpoint.tnm", model, trainer.optimizer_state(), {.epochs = 1, .seed = 3});
    Net resumed(11);
    tn::Adam::State state(Net::parameter_count);
    const auto info = io::load_checkpoint(dir / "checkpoint.tnm", resumed, state);
    EXPECT_EQ(info.epochs, 1u);
    EXPECT_EQ(state.step, trainer.optimizer_state().step);
    EXPECT_TRUE(std::ranges::equal(model.parameters(), resumed.parameters()));
    fs::remove_all(dir);
}

TEST(UserLayer, ExportsToSafetensorsAndToAHeader) {
    const fs::path dir = scratch_dir("export");
    const Net model(5);
    const std::array<std::string_view, 1> part_names{""};
    const auto tensors = io::torch_tensors<Net>(part_names);
    std::vector<std::string> names;
    for (const auto& tensor : tensors) names.push_back(tensor.name);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "2.weight", "2.bias"}));
    io::save_safetensors(dir / "net.safetensors", model, part_names);
    Net loaded(6);
    io::load_safetensors(dir / "net.safetensors", loaded, part_names);
    EXPECT_TRUE(std::ranges::equal(model.parameters(), loaded.parameters()));

    io::export_header(dir / "net.hpp", model, "user_layer_net");
    std::ifstream header(dir / "net.hpp");
    std::stringstream text;
    text << header.rdbuf();
    EXPECT_NE(text.str().find("Scale initial(1)"), std::string::npos);
    EXPECT_NE(text.str().find(fmt::format("0x{:016x}ULL", io::architecture_signature<Net>())), std::string::npos);
    fs::remove_all(dir);
}

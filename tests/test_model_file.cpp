// Model files and checkpoints: exact round trips for the notebook's models,
// the layout docs/formats.md describes, and every way a file can be wrong
// (truncated, a flipped byte, another architecture, a newer version), each
// failing with a DataError that says so and leaving the model as it was.
#include "typenet/io/model_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>        // mkdtemp
#include <sys/resource.h>  // setrlimit
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "notebook_models.hpp"
#include "typenet/typenet.hpp"

namespace {

namespace fs = std::filesystem;
namespace tn = typenet;
namespace io = typenet::io;
using Bytes = std::vector<unsigned char>;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Small enough to truncate and corrupt at every byte.
using Small = tn::Model<tn::Input<3>, tn::Dense<4, tn::ReLU>, tn::Dense<2, tn::Sigmoid>>;
using Dense = notebook::DenseAutoencoder;
using Denoising = notebook::DenoisingAutoencoder;
// The dense autoencoder with a 32-unit code instead of 64.
using Dense32 = tn::Model<tn::Input<28, 28>, tn::Sequential<tn::Flatten, tn::Dense<32, tn::ReLU>>,
                          tn::Sequential<tn::Dense<784, tn::Sigmoid>, tn::Reshape<28, 28>>>;

// Every tensor of a model set to values drawn from `seed`; the padding between layers stays zero.
template <class M>
M model_with_values(std::uint64_t seed) {
    M model(seed);
    tn::Random random(seed, tn::Stream::test);
    for (const io::ModelTensor& tensor : io::model_tensors<M>)
        for (std::size_t i = 0; i < tensor.info.size(); ++i)
            model.parameters()[tensor.parameter_offset + i] = random.normal();
    return model;
}

template <class M>
std::vector<float> parameters_of(const M& model) {
    return {model.parameters().begin(), model.parameters().end()};
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

template <class M>
std::vector<float> outputs_of(const M& model) {
    tn::Random random(7, tn::Stream::test);
    std::vector<float> inputs(2 * M::input_shape::size);
    for (float& x : inputs) x = random.uniform();
    tn::Workspace<M, 2> workspace;
    const std::span<const float> outputs = model(workspace, inputs);
    return {outputs.begin(), outputs.end()};
}

// The message of the DataError `action` throws; a test failure if it throws none.
template <class Action>
std::string data_error_message(Action&& action) {
    try {
        action();
    } catch (const tn::DataError& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected a typenet::DataError";
    return {};
}

void show(const std::string& key, const std::string& message) {
    ::testing::Test::RecordProperty(key, message);
    std::cout << "[ message  ] " << key << ":\n" << message << "\n";
}

std::uint32_t zlib_crc32(std::span<const unsigned char> bytes) {
    return static_cast<std::uint32_t>(crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
}

void put_u32(Bytes& bytes, std::size_t offset, std::uint32_t value) {
    for (std::size_t i = 0; i < 4; ++i) bytes[offset + i] = static_cast<unsigned char>(value >> (8 * i));
}
void put_u64(Bytes& bytes, std::size_t offset, std::uint64_t value) {
    for (std::size_t i = 0; i < 8; ++i) bytes[offset + i] = static_cast<unsigned char>(value >> (8 * i));
}

// After an edit, makes the size field and the checksum right again, so that
// what the reader meets is the edit itself.
void reseal(Bytes& bytes) {
    put_u64(bytes, 16, bytes.size());
    put_u32(bytes, bytes.size() - 4, zlib_crc32(std::span(bytes).first(bytes.size() - 4)));
}

// Reads the fields of a file in order, as docs/formats.md lists them.
class FieldReader {
public:
    explicit FieldReader(const Bytes& bytes) : bytes_(bytes) {}
    std::uint32_t u32() { return static_cast<std::uint32_t>(little_endian(4)); }
    std::uint64_t u64() { return little_endian(8); }
    std::string text() {
        const std::size_t length = u32();
        std::string text(reinterpret_cast<const char*>(bytes_.data() + offset_), length);
        offset_ += length;
        return text;
    }
    std::size_t offset() const { return offset_; }
    void skip(std::size_t count) { offset_ += count; }

private:
    std::uint64_t little_endian(std::size_t size) {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t{bytes_.at(offset_ + i)} << (8 * i);
        offset_ += size;
        return value;
    }
    const Bytes& bytes_;
    std::size_t offset_ = 0;
};

// Makes writes beyond `bytes` fail (EFBIG) for as long as it lives, root or not.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_handler_);
    }

private:
    rlimit saved_{};
    void (*previous_handler_)(int) = nullptr;
};

class ModelFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string name = (fs::temp_directory_path() / "typenet-model-file-XXXXXX").string();
        ASSERT_NE(::mkdtemp(name.data()), nullptr);
        directory_ = name;
    }
    void TearDown() override { fs::remove_all(directory_); }

    fs::path path(const std::string& name) const { return directory_ / name; }

    fs::path write(const std::string& name, std::span<const unsigned char> bytes) const {
        const fs::path file = path(name);
        std::ofstream(file, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return file;
    }

    static Bytes read(const fs::path& file) {
        std::ifstream stream(file, std::ios::binary);
        return {std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
    }

    std::vector<std::string> directory_listing() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(directory_)) names.push_back(entry.path().filename().string());
        std::ranges::sort(names);
        return names;
    }

    // The message load_model gives for these bytes as a file; the model must not change.
    template <class M>
    std::string load_failure(const std::string& name, std::span<const unsigned char> bytes, M& model) {
        const std::vector<float> before = parameters_of(model);
        const fs::path file = write(name, bytes);
        const std::string message = data_error_message([&] { io::load_model(file, model); });
        EXPECT_THAT(message, StartsWith(file.string() + ": "));
        EXPECT_TRUE(same_bits(before, model.parameters())) << "a failed load changed the model";
        return message;
    }

    template <class M>
    void expect_exact_round_trip() {
        const M saved = model_with_values<M>(1);
        io::save_model(path("model.tnm"), saved);
        M loaded(2);
        io::load_model(path("model.tnm"), loaded);
        EXPECT_TRUE(same_bits(saved.parameters(), loaded.parameters()));
        EXPECT_TRUE(same_bits(outputs_of(saved), outputs_of(loaded)));
        EXPECT_EQ(directory_listing(), std::vector<std::string>{"model.tnm"});
    }

    fs::path directory_;
};

// ---- The architecture text and its signature ----

static_assert(io::fnv1a_64("") == 0xcbf29ce484222325ULL);
static_assert(io::fnv1a_64("a") == 0xaf63dc4c8601ec8cULL);
// Known to the compiler, so a program can state the architecture it expects.
static_assert(io::architecture_signature<Dense>() != io::architecture_signature<Dense32>());

TEST(Architecture, DescribesTheDenseAutoencoder) {
    EXPECT_EQ(io::architecture<Dense>(),
              "0 Flatten (28,28) -> (784)\n"
              "1 Dense relu (784) -> (64) kernel(784,64) bias(64)\n"
              "2 Dense sigmoid (64) -> (784) kernel(64,784) bias(784)\n"
              "3 Reshape (784) -> (28,28)\n");
    EXPECT_EQ(io::architecture_signature<Dense>(), io::fnv1a_64(io::architecture<Dense>()));
}

TEST(Architecture, DescribesTheDenoisingAutoencoder) {
    // Same padding puts the odd extra row after the image: nothing before it with stride 2.
    EXPECT_EQ(io::architecture<Denoising>(),
              "0 Conv2D relu k3 s2 pad(0,0) (28,28,1) -> (14,14,16) kernel(3,3,1,16) bias(16)\n"
              "1 Conv2D relu k3 s2 pad(0,0) (14,14,16) -> (7,7,8) kernel(3,3,16,8) bias(8)\n"
              "2 Conv2DTranspose relu k3 s2 pad(0,0) (7,7,8) -> (14,14,8) kernel(3,3,8,8) bias(8)\n"
              "3 Conv2DTranspose relu k3 s2 pad(0,0) (14,14,8) -> (28,28,16) kernel(3,3,16,8) bias(16)\n"
              "4 Conv2D sigmoid k3 s1 pad(1,1) (28,28,16) -> (28,28,1) kernel(3,3,16,1) bias(1)\n");
}

TEST(Architecture, IgnoresHowLayersAreGroupedIntoParts) {
    using Ungrouped = tn::Model<tn::Input<28, 28>, tn::Flatten, tn::Dense<64, tn::ReLU>,
                                tn::Dense<784, tn::Sigmoid>, tn::Reshape<28, 28>>;
    EXPECT_EQ(io::architecture_signature<Ungrouped>(), io::architecture_signature<Dense>());
}

TEST(Architecture, ActivationsChangeTheSignature) {
    using Tanh = tn::Model<tn::Input<3>, tn::Dense<4, tn::Tanh>, tn::Dense<2, tn::Sigmoid>>;
    EXPECT_NE(io::architecture_signature<Tanh>(), io::architecture_signature<Small>());
}

TEST(Architecture, ActivationSettingsChangeTheSignature) {
    using Slope02 = tn::Model<tn::Input<3>, tn::Dense<4, tn::LeakyReLU<"0.2">>, tn::Dense<2, tn::ELU<>>>;
    using Slope03 = tn::Model<tn::Input<3>, tn::Dense<4, tn::LeakyReLU<>>, tn::Dense<2, tn::ELU<>>>;
    EXPECT_EQ(io::architecture<Slope02>(), "0 Dense leaky_relu(0.2) (3) -> (4) kernel(3,4) bias(4)\n"
                                           "1 Dense elu(1) (4) -> (2) kernel(4,2) bias(2)\n");
    EXPECT_NE(io::architecture_signature<Slope02>(), io::architecture_signature<Slope03>());
}

// ---- Round trips ----

TEST_F(ModelFileTest, DenseAutoencoderRoundTripIsExact) { expect_exact_round_trip<Dense>(); }

TEST_F(ModelFileTest, DenoisingAutoencoderRoundTripIsExact) { expect_exact_round_trip<Denoising>(); }

TEST_F(ModelFileTest, SpecialFloatsKeepTheirBits) {
    Small saved = model_with_values<Small>(3);
    const std::uint32_t specials[] = {0x80000000u /* -0 */, 0x00000001u /* smallest subnormal */,
                                      0x7fc12345u /* a NaN with a payload */, 0xff800000u /* -inf */};
    for (std::size_t i = 0; i < std::size(specials); ++i) saved.parameters()[i] = std::bit_cast<float>(specials[i]);
    Small loaded(4);
    io::load_model(write("special.tnm", io::model_file_bytes(saved)), loaded);
    EXPECT_TRUE(same_bits(saved.parameters(), loaded.parameters()));
}

TEST_F(ModelFileTest, SavingTwiceGivesTheSameBytes) {
    const Dense model = model_with_values<Dense>(5);
    io::save_model(path("a.tnm"), model);
    io::save_model(path("b.tnm"), model);
    EXPECT_EQ(read(path("a.tnm")), read(path("b.tnm")));
}

// ---- The layout, read as docs/formats.md describes it ----

TEST_F(ModelFileTest, LayoutIsAsDocumented) {
    const Dense model = model_with_values<Dense>(6);
    io::save_model(path("model.tnm"), model);
    const Bytes bytes = read(path("model.tnm"));
    FieldReader field(bytes);
    const Bytes magic{0x89, 'T', 'N', 'M', '\r', '\n', 0x1a, '\n'};
    ASSERT_TRUE(std::equal(magic.begin(), magic.end(), bytes.begin()));
    field.skip(8);
    EXPECT_EQ(field.u32(), 2u);                                        // format version
    EXPECT_EQ(field.u32(), 1u);                                        // kind: a model
    EXPECT_EQ(field.u64(), bytes.size());                              // the file's size
    EXPECT_EQ(field.u64(), io::architecture_signature<Dense>());       // signature
    const std::string architecture = field.text();
    EXPECT_EQ(architecture, io::architecture<Dense>());
    EXPECT_EQ(io::fnv1a_64(architecture), io::architecture_signature<Dense>());
    ASSERT_EQ(field.u32(), 4u);                                        // tensors
    struct Entry {
        std::string name;
        std::vector<std::uint64_t> dims;
        std::uint64_t offset, length;
    };
    std::vector<Entry> entries;
    for (int t = 0; t < 4; ++t) {
        Entry entry{field.text(), {}, 0, 0};
        EXPECT_EQ(field.u32(), 1u);  // dtype: float32, little-endian
        const std::uint32_t rank = field.u32();
        for (std::uint32_t d = 0; d < rank; ++d) entry.dims.push_back(field.u64());
        entry.offset = field.u64();
        entry.length = field.u64();
        entries.push_back(entry);
    }
    EXPECT_EQ(entries[0].name, "layers.1.kernel");
    EXPECT_EQ(entries[0].dims, (std::vector<std::uint64_t>{784, 64}));
    EXPECT_EQ(entries[1].name, "layers.1.bias");
    EXPECT_EQ(entries[2].name, "layers.2.kernel");
    EXPECT_EQ(entries[2].dims, (std::vector<std::uint64_t>{64, 784}));
    EXPECT_EQ(entries[3].name, "layers.2.bias");
    EXPECT_EQ(entries[3].dims, (std::vector<std::uint64_t>{784}));
    const std::uint64_t payload_length = field.u64();
    const std::size_t payload = field.offset();
    // The payload is the tensors back to back, without the padding between layers.
    std::uint64_t next = 0;
    for (std::size_t t = 0; t < entries.size(); ++t) {
        EXPECT_EQ(entries[t].offset, next);
        next += entries[t].length;
        const io::ModelTensor& tensor = io::model_tensors<Dense>[t];
        ASSERT_EQ(entries[t].length, tensor.info.size() * 4);
        std::vector<float> stored(tensor.info.size());
        for (std::size_t i = 0; i < stored.size(); ++i) {
            FieldReader at(bytes);
            at.skip(payload + entries[t].offset + 4 * i);
            stored[i] = std::bit_cast<float>(at.u32());
        }
        EXPECT_TRUE(same_bits(stored, model.parameters().subspan(tensor.parameter_offset, tensor.info.size())))
            << entries[t].name;
    }
    EXPECT_EQ(payload_length, next);
    EXPECT_EQ(payload + payload_length + 4, bytes.size());
    FieldReader checksum(bytes);
    checksum.skip(bytes.size() - 4);
    EXPECT_EQ(checksum.u32(), zlib_crc32(std::span(bytes).first(bytes.size() - 4)));
}

// ---- Checkpoints ----

TEST_F(ModelFileTest, AdamCheckpointRoundTripIsExactAndTrainingResumesExactly) {
    Dense model(11);
    tn::Trainer<Dense, tn::Adam, tn::MSE, 4> trainer(model);
    tn::Random random(12, tn::Stream::test);
    std::vector<float> batch(4 * 784);
    const auto step = [&](auto& any_trainer) {
        for (float& x : batch) x = random.uniform();
        any_trainer.step(batch, batch);
    };
    for (int i = 0; i < 3; ++i) step(trainer);
    const io::CheckpointInfo info{.epochs = 3, .seed = 42, .values = {{"noise_seed", 7}, {"batch_size", 4}}};
    io::save_checkpoint(path("run.tnc"), model, trainer.optimizer_state(), info);

    Dense resumed_model(99);
    tn::Trainer<Dense, tn::Adam, tn::MSE, 4> resumed(resumed_model);
    EXPECT_EQ(io::load_checkpoint(path("run.tnc"), resumed_model, resumed.optimizer_state()), info);
    const auto& state = trainer.optimizer_state();
    const auto& loaded = resumed.optimizer_state();
    EXPECT_TRUE(same_bits(model.parameters(), resumed_model.parameters()));
    EXPECT_TRUE(same_bits(state.m.span(), loaded.m.span()));
    EXPECT_TRUE(same_bits(state.v.span(), loaded.v.span()));
    EXPECT_EQ(loaded.step, 3);

    const tn::Random before_step = random;
    step(trainer);
    random = before_step;
    step(resumed);
    EXPECT_TRUE(same_bits(model.parameters(), resumed_model.parameters()));
}

TEST_F(ModelFileTest, SgdCheckpointRoundTripIsExact) {
    const Denoising model = model_with_values<Denoising>(13);
    tn::SGD::State state(Denoising::parameter_count);
    tn::Random random(14, tn::Stream::test);
    for (const io::ModelTensor& tensor : io::model_tensors<Denoising>)
        for (std::size_t i = 0; i < tensor.info.size(); ++i)
            state.velocity[tensor.parameter_offset + i] = random.normal();
    state.step = 1234;
    const io::CheckpointInfo info{.epochs = 2, .seed = 5, .values = {}};
    io::save_checkpoint(path("sgd.tnc"), model, state, info);
    Denoising loaded_model(15);
    tn::SGD::State loaded(Denoising::parameter_count);
    EXPECT_EQ(io::load_checkpoint(path("sgd.tnc"), loaded_model, loaded), info);
    EXPECT_TRUE(same_bits(model.parameters(), loaded_model.parameters()));
    EXPECT_TRUE(same_bits(state.velocity.span(), loaded.velocity.span()));
    EXPECT_EQ(loaded.step, 1234);
}

TEST_F(ModelFileTest, ModelFilesAndCheckpointsAreNotConfused) {
    Small model = model_with_values<Small>(16);
    tn::Adam::State state(Small::parameter_count);
    io::save_checkpoint(path("run.tnc"), model, state, {});
    io::save_model(path("model.tnm"), model);
    EXPECT_THAT(data_error_message([&] { io::load_model(path("run.tnc"), model); }),
                HasSubstr("a checkpoint, not a model file: load it with load_checkpoint"));
    EXPECT_THAT(data_error_message([&] { io::load_checkpoint(path("model.tnm"), model, state); }),
                HasSubstr("a model file, not a checkpoint"));
}

TEST_F(ModelFileTest, CheckpointOfAnotherOptimizerIsRefused) {
    Small model = model_with_values<Small>(17);
    tn::SGD::State sgd(Small::parameter_count);
    io::save_checkpoint(path("sgd.tnc"), model, sgd, {});
    tn::Adam::State adam(Small::parameter_count);
    EXPECT_THAT(data_error_message([&] { io::load_checkpoint(path("sgd.tnc"), model, adam); }),
                HasSubstr("the optimizer \"sgd\", but it is loaded into the state of \"adam\""));
}

TEST_F(ModelFileTest, CheckpointArgumentsThatCannotWorkAreUsageErrors) {
    const Small model(18);
    tn::Adam::State state(Small::parameter_count);
    EXPECT_THROW(io::checkpoint_file_bytes(model, tn::Adam::State(3), {}), tn::UsageError);
    for (const std::string& bad : std::vector<std::string>{"", "has space", std::string(256, 'x'), "tab\there"}) {
        io::CheckpointInfo info;
        info.values[bad] = 1;
        EXPECT_THROW(io::checkpoint_file_bytes(model, state, info), tn::UsageError) << bad;
    }
    EXPECT_FALSE(fs::exists(path("never.tnc")));
}

// ---- Files that must not load ----

// A step count below 0 would make Adam's first resumed step write NaN
// weights (1 - beta2^t < 0), and one past max_optimizer_step could not be
// counted on: neither is written, and a file that holds one is refused,
// naming the file and the count.
TEST_F(ModelFileTest, CheckpointStepCountOutsideItsRangeIsRefused) {
    const Small model = model_with_values<Small>(19);
    tn::Adam::State state(Small::parameter_count);
    for (const std::int64_t bad : {std::int64_t{-1}, tn::max_optimizer_step + 1, std::numeric_limits<std::int64_t>::min()}) {
        state.step = bad;
        EXPECT_THROW(io::checkpoint_file_bytes(model, state, {}), tn::UsageError) << bad;
    }
    state.step = 9;
    const Bytes good = io::checkpoint_file_bytes(model, state, {});
    // After the architecture: the optimizer's name ("adam", after its length), then the step count.
    const std::size_t step_field = 36 + io::architecture<Small>().size() + 4 + 4;
    FieldReader reader(good);
    reader.skip(step_field);
    ASSERT_EQ(reader.u64(), 9u);
    const auto with_step = [&](std::uint64_t step) {
        Bytes bytes = good;
        put_u64(bytes, step_field, step);
        reseal(bytes);
        return bytes;
    };
    for (const std::uint64_t bad : {~std::uint64_t{0}, std::uint64_t{1} << 63, std::uint64_t{1} << 53 | 1}) {
        const fs::path file = write("step.tnc", with_step(bad));
        tn::Adam::State loaded(Small::parameter_count);
        Small loaded_model(20);
        const std::string message = data_error_message([&] { io::load_checkpoint(file, loaded_model, loaded); });
        EXPECT_THAT(message, StartsWith(file.string() + ": "));
        EXPECT_THAT(message, HasSubstr(fmt::format("step count is {}", static_cast<std::int64_t>(bad))));
        EXPECT_EQ(loaded.step, 0);
    }
    for (const std::int64_t fine : {std::int64_t{0}, tn::max_optimizer_step}) {
        state.step = fine;
        const auto checkpoint =
            io::parse_checkpoint_file<Small, tn::Adam::State>(io::checkpoint_file_bytes(model, state, {}), "memory");
        EXPECT_EQ(checkpoint.state.step, fine);
    }
}

// Without a bias the tensor list is shorter, and that is all that differs:
// such a file is another architecture, in both directions.
using Biased = tn::Model<tn::Input<4, 4, 3>, tn::Conv2D<8, 3, 1, tn::Same, tn::ReLU>, tn::Flatten, tn::Dense<2>>;
using Unbiased =
    tn::Model<tn::Input<4, 4, 3>, tn::Conv2D<8, 3, 1, tn::Same, tn::ReLU, tn::NoBias>, tn::Flatten, tn::Dense<2>>;

TEST_F(ModelFileTest, ALayerWithoutABiasIsAnotherArchitecture) {
    EXPECT_EQ(io::architecture<Unbiased>(), "0 Conv2D relu k3 s1 pad(1,1) (4,4,3) -> (4,4,8) kernel(3,3,3,8)\n"
                                            "1 Flatten (4,4,8) -> (128)\n"
                                            "2 Dense linear (128) -> (2) kernel(128,2) bias(2)\n");
    EXPECT_EQ(io::architecture<Biased>(), "0 Conv2D relu k3 s1 pad(1,1) (4,4,3) -> (4,4,8) kernel(3,3,3,8) bias(8)\n"
                                          "1 Flatten (4,4,8) -> (128)\n"
                                          "2 Dense linear (128) -> (2) kernel(128,2) bias(2)\n");
    io::save_model(path("unbiased.tnm"), model_with_values<Unbiased>(22));
    Biased biased = model_with_values<Biased>(23);
    EXPECT_THAT(load_failure("unbiased.tnm", read(path("unbiased.tnm")), biased),
                HasSubstr("a different architecture"));
    io::save_model(path("biased.tnm"), model_with_values<Biased>(24));
    Unbiased unbiased = model_with_values<Unbiased>(25);
    EXPECT_THAT(load_failure("biased.tnm", read(path("biased.tnm")), unbiased), HasSubstr("a different architecture"));
}

TEST_F(ModelFileTest, ALayerWithoutABiasRoundTripIsExact) { expect_exact_round_trip<Unbiased>(); }

TEST_F(ModelFileTest, AnotherArchitectureIsShownBesideTheExpectedOne) {
    io::save_model(path("dense32.tnm"), model_with_values<Dense32>(20));
    Dense model = model_with_values<Dense>(21);
    const std::string message = load_failure("dense32.tnm", read(path("dense32.tnm")), model);
    show("wrong_architecture", message);
    EXPECT_THAT(message, HasSubstr("a different architecture"));
    EXPECT_THAT(message, HasSubstr("they first differ at layer 1"));
    EXPECT_THAT(message, HasSubstr("in the file:\n      0 Flatten (28,28) -> (784)\n"
                                   "    > 1 Dense relu (784) -> (32) kernel(784,32) bias(32)\n"
                                   "      2 Dense sigmoid (32) -> (784) kernel(32,784) bias(784)\n"));
    EXPECT_THAT(message, HasSubstr("expected by this program:\n      0 Flatten (28,28) -> (784)\n"
                                   "    > 1 Dense relu (784) -> (64) kernel(784,64) bias(64)\n"));
}

TEST_F(ModelFileTest, FewerLayersAreShownToo) {
    using Shorter = tn::Model<tn::Input<3>, tn::Dense<4, tn::ReLU>>;
    Small model(22);
    const std::string message = load_failure("shorter.tnm", io::model_file_bytes(Shorter(23)), model);
    EXPECT_THAT(message, HasSubstr("the file's has 1 layers, the expected 2"));
    EXPECT_THAT(message, HasSubstr("    > 1 Dense sigmoid (4) -> (2) kernel(4,2) bias(2)"));
}

TEST_F(ModelFileTest, TruncatedAtEveryLengthFailsCleanly) {
    const Bytes bytes = io::model_file_bytes(model_with_values<Small>(24));
    Small model = model_with_values<Small>(25);
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        const std::string message = load_failure("cut.tnm", std::span(bytes).first(length), model);
        EXPECT_THAT(message, HasSubstr(length == 0 ? "empty" : "truncated")) << "at length " << length;
    }
}

TEST_F(ModelFileTest, TruncatedDenseAutoencoderFailsCleanly) {
    const Bytes bytes = io::model_file_bytes(model_with_values<Dense>(26));
    Dense model = model_with_values<Dense>(27);
    tn::Random random(28, tn::Stream::test);
    std::vector<std::size_t> lengths{1, 7, 8, 11, 12, 23, 24, 35, 36, 100, bytes.size() / 2, bytes.size() - 1};
    for (int i = 0; i < 40; ++i) lengths.push_back(1 + random.below(bytes.size() - 1));
    for (const std::size_t length : lengths) {
        const std::string message = load_failure("cut.tnm", std::span(bytes).first(length), model);
        EXPECT_THAT(message, HasSubstr("truncated")) << "at length " << length;
        if (length == bytes.size() / 2) show("truncated", message);
    }
}

TEST_F(ModelFileTest, CheckpointTruncatedAtEveryLengthFailsCleanly) {
    tn::Adam::State state(Small::parameter_count);
    state.step = 9;
    const io::CheckpointInfo info{.epochs = 1, .seed = 2, .values = {{"noise_seed", 3}}};
    const Bytes bytes = io::checkpoint_file_bytes(model_with_values<Small>(29), state, info);
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        const std::string message = data_error_message(
            [&] { io::parse_checkpoint_file<Small, tn::Adam::State>(std::span(bytes).first(length), "memory"); });
        EXPECT_THAT(message, StartsWith("memory: "));
        EXPECT_THAT(message, HasSubstr(length == 0 ? "empty" : "truncated")) << "at length " << length;
    }
}

// What a flipped bit at `offset` must be reported as.
std::string flip_problem(std::size_t offset) {
    if (offset < 8) return "not a typenet model file";
    if (offset < 12) return "unsupported format version";
    return "corrupt: checksum mismatch";
}

TEST_F(ModelFileTest, FlippedBitAnywhereFailsCleanly) {
    const Bytes good = io::model_file_bytes(model_with_values<Small>(30));
    Small model = model_with_values<Small>(31);
    for (std::size_t offset = 0; offset < good.size(); ++offset) {
        for (const unsigned char bit : {0x01, 0x80}) {
            Bytes bytes = good;
            bytes[offset] ^= bit;
            EXPECT_THAT(load_failure("flipped.tnm", bytes, model), HasSubstr(flip_problem(offset)))
                << "at byte " << offset;
        }
    }
}

TEST_F(ModelFileTest, FlippedByteInTheDenseAutoencoderFailsCleanly) {
    const Bytes good = io::model_file_bytes(model_with_values<Dense>(32));
    Dense model = model_with_values<Dense>(33);
    tn::Random random(34, tn::Stream::test);
    std::vector<std::size_t> offsets{0, 9, 16, 23, 24, 40, good.size() - 1, good.size() / 2};
    for (int i = 0; i < 40; ++i) offsets.push_back(random.below(good.size()));
    for (const std::size_t offset : offsets) {
        Bytes bytes = good;
        bytes[offset] ^= 0x10;
        const std::string message = load_failure("flipped.tnm", bytes, model);
        EXPECT_THAT(message, HasSubstr(flip_problem(offset))) << "at byte " << offset;
        if (offset == good.size() / 2) show("flipped_byte", message);
    }
}

TEST_F(ModelFileTest, WrongMagicIsNotAModelFile) {
    Small model(35);
    const std::string text = "weights: 0.1 0.2 0.3\n";
    EXPECT_THAT(load_failure("weights.txt", Bytes(text.begin(), text.end()), model),
                HasSubstr("not a typenet model file: it starts with 77 65 69 67 68 74 73 3a where a typenet model "
                          "file starts with 89 54 4e 4d 0d 0a 1a 0a"));
    Bytes converted = io::model_file_bytes(model);
    converted.erase(converted.begin() + 4);  // "\r\n" -> "\n", as a text-mode copy does
    EXPECT_THAT(load_failure("converted.tnm", converted, model), HasSubstr("line endings were converted"));
}

TEST_F(ModelFileTest, NewerVersionIsRefusedWithoutReadingFurther) {
    Small model(36);
    Bytes bytes = io::model_file_bytes(model);
    put_u32(bytes, 8, 3);
    bytes.resize(40);  // a newer version may lay out everything after its number differently
    EXPECT_THAT(load_failure("newer.tnm", bytes, model),
                HasSubstr("unsupported format version 3: this build of typenet reads versions 1 to 2; a newer "
                          "typenet wrote the file"));
}

TEST_F(ModelFileTest, AppendedBytesAreRefused) {
    Small model(37);
    Bytes bytes = io::model_file_bytes(model);
    bytes.insert(bytes.end(), {1, 2, 3});
    EXPECT_THAT(load_failure("appended.tnm", bytes, model), HasSubstr("3 unexpected bytes after its end"));
}

TEST_F(ModelFileTest, FieldsThatPassTheChecksumAreStillChecked) {
    Small model(38);
    const Bytes good = io::model_file_bytes(model);
    const std::size_t count = 36 + io::architecture<Small>().size();
    const auto edited = [&](std::size_t offset, std::uint32_t value) {
        Bytes bytes = good;
        put_u32(bytes, offset, value);
        reseal(bytes);
        return bytes;
    };
    EXPECT_THAT(load_failure("kind.tnm", edited(12, 7), model), HasSubstr("unknown kind 7"));
    EXPECT_THAT(load_failure("count.tnm", edited(count, 5), model),
                HasSubstr("malformed: the file lists 5 tensors where this architecture has 4"));
    // The first tensor's dtype, after its name "layers.0.kernel"; then its rank and first dimension.
    const std::size_t dtype = count + 4 + 4 + 15;
    EXPECT_THAT(load_failure("dtype.tnm", edited(dtype, 2), model),
                HasSubstr("tensor layers.0.kernel holds int64 where this model holds float32"));
    EXPECT_THAT(load_failure("unknown-dtype.tnm", edited(dtype, 9), model),
                HasSubstr("malformed: tensor layers.0.kernel has dtype 9, which format version 2 does not know"));
    EXPECT_THAT(load_failure("dims.tnm", edited(dtype + 4 + 4, 4), model),
                HasSubstr("malformed: tensor layers.0.kernel has shape (4,4) where (3,4) is expected"));
    Bytes signature = good;
    signature[24] ^= 1;
    reseal(signature);
    EXPECT_THAT(load_failure("signature.tnm", signature, model), HasSubstr("corrupt: the architecture signature"));
}

// Random edits, resealed so the checksum passes: the parser must answer each
// with parameters or a DataError, never anything else (the sanitizer build
// watches for reads out of bounds).
TEST_F(ModelFileTest, ResealedRandomEditsNeverCrash) {
    tn::Adam::State state(Small::parameter_count);
    const io::CheckpointInfo info{.epochs = 1, .seed = 2, .values = {{"a", 1}, {"b", 2}}};
    const Bytes good = io::checkpoint_file_bytes(model_with_values<Small>(39), state, info);
    tn::Random random(40, tn::Stream::test);
    std::size_t refused = 0, accepted = 0;
    for (int trial = 0; trial < 5000; ++trial) {
        Bytes bytes = good;
        for (std::uint64_t edits = 1 + random.below(4); edits > 0; --edits) {
            const std::size_t offset = 24 + random.below(bytes.size() - 28);
            switch (random.below(3)) {
            case 0: bytes[offset] = static_cast<unsigned char>(random.next()); break;
            case 1: bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(offset)); break;
            default:
                bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                             static_cast<unsigned char>(random.next()));
            }
        }
        reseal(bytes);
        try {
            io::parse_checkpoint_file<Small, tn::Adam::State>(bytes, "fuzz");
            ++accepted;
        } catch (const tn::DataError& error) {
            EXPECT_THAT(error.what(), StartsWith("fuzz: "));
            ++refused;
        }
    }
    // Edits inside the payload only change values; all others are refused.
    EXPECT_GT(refused, 0u);
    EXPECT_GT(accepted, 0u);
}

TEST_F(ModelFileTest, FileTooLargeForTheModelStillNamesItsArchitecture) {
    // 1.6 MB of parameters: more than a dense autoencoder's file may be, so only its start is read.
    using Wide = tn::Model<tn::Input<28, 28>, tn::Flatten, tn::Dense<512, tn::ReLU>>;
    io::save_model(path("wide.tnm"), Wide(41));
    Dense model = model_with_values<Dense>(42);
    const std::string message = load_failure("wide.tnm", read(path("wide.tnm")), model);
    EXPECT_THAT(message, HasSubstr("> 1 Dense relu (784) -> (512) kernel(784,512) bias(512)"));

    const Bytes zeros(3 << 20, 0);
    EXPECT_THAT(load_failure("zeros.bin", zeros, model), HasSubstr("not a typenet model file"));

    Bytes padded = io::model_file_bytes(model);
    padded.resize(3 << 20);
    EXPECT_THAT(load_failure("padded.tnm", padded, model), HasSubstr("unexpected bytes after its end"));
    reseal(padded);
    EXPECT_THAT(load_failure("resealed.tnm", padded, model),
                HasSubstr("too large: the file holds 3145728 bytes, but a model file of this architecture holds "
                          "exactly 405228"));
}

TEST_F(ModelFileTest, MissingFileAndDirectoryAreDataErrors) {
    Small model(43);
    EXPECT_THAT(data_error_message([&] { io::load_model(path("absent.tnm"), model); }),
                HasSubstr("absent.tnm: cannot open: No such file or directory"));
    EXPECT_THAT(data_error_message([&] { io::load_model(directory_, model); }), HasSubstr("not a regular file"));
}

// ---- Saving never damages what is there ----

TEST_F(ModelFileTest, SaveIntoMissingDirectoryThrowsAndTouchesNothing) {
    const fs::path file = path("missing") / "model.tnm";
    const std::string message = data_error_message([&] { io::save_model(file, Small(44)); });
    EXPECT_THAT(message, StartsWith(file.string() + ": "));
    EXPECT_FALSE(fs::exists(path("missing")));
    EXPECT_TRUE(directory_listing().empty());
}

TEST_F(ModelFileTest, FailedSaveLeavesTheExistingFileWhole) {
    const Dense good = model_with_values<Dense>(45);
    io::save_model(path("model.tnm"), good);
    const Bytes before = read(path("model.tnm"));
    {
        const FileSizeLimit limit(4096);  // the disk "fills up" mid-write
        EXPECT_THROW(io::save_model(path("model.tnm"), model_with_values<Dense>(46)), tn::DataError);
    }
    EXPECT_EQ(read(path("model.tnm")), before);
    EXPECT_EQ(directory_listing(), std::vector<std::string>{"model.tnm"}) << "the temporary file was left behind";
    Dense loaded(47);
    io::load_model(path("model.tnm"), loaded);
    EXPECT_TRUE(same_bits(good.parameters(), loaded.parameters()));
}

}  // namespace

// Files written by an older typenet keep loading: tests/fixtures holds a model
// file and a checkpoint in format version 1, written by the typenet of
// support/version1_files.hpp's date, and their contents are known exactly.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "support/version1_files.hpp"
#include "typenet/io/model_file.hpp"

namespace {

namespace fs = std::filesystem;
namespace io = typenet::io;
namespace v1 = typenet::testing::version1;

const fs::path fixtures = fs::path(__FILE__).parent_path() / "fixtures";

}  // namespace

TEST(ModelFileVersion1, ModelFileLoads) {
    v1::Net model(99);
    io::load_model(fixtures / "version1.tnm", model);
    const v1::Net expected(v1::net_seed);
    EXPECT_TRUE(std::ranges::equal(model.parameters(), expected.parameters()));
}

TEST(ModelFileVersion1, CheckpointLoads) {
    v1::Net model(99);
    typenet::Adam::State state(v1::Net::parameter_count);
    const io::CheckpointInfo info = io::load_checkpoint(fixtures / "version1.tnc", model, state);
    const v1::Net expected(v1::net_seed);
    const typenet::Adam::State expected_state = v1::adam_state();
    EXPECT_TRUE(std::ranges::equal(model.parameters(), expected.parameters()));
    EXPECT_TRUE(std::ranges::equal(state.m.span(), expected_state.m.span()));
    EXPECT_TRUE(std::ranges::equal(state.v.span(), expected_state.v.span()));
    EXPECT_EQ(state.step, expected_state.step);
    EXPECT_EQ(info, v1::checkpoint_info());
}

// safetensors needs no zlib: this program includes <typenet/io/safetensors.hpp>,
// links typenet alone (not typenet::io, see tests/CMakeLists.txt), and saves
// and loads a model. Were zlib needed, it would not compile (zlib.h included)
// or not link (crc32 undefined).
#include <typenet/io/safetensors.hpp>
#include <typenet/typenet.hpp>

#ifdef ZLIB_H
#error "<typenet/io/safetensors.hpp> includes zlib.h, which safetensors does not need"
#endif

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

namespace tn = typenet;
struct Encoder : tn::Sequential<tn::Flatten, tn::Dense<8, tn::ReLU>> {};
struct Decoder : tn::Sequential<tn::Dense<16, tn::Sigmoid>, tn::Reshape<4, 4>> {};
using Net = tn::Model<tn::Input<4, 4>, Encoder, Decoder>;

int main() {
    std::string directory = (std::filesystem::temp_directory_path() / "typenet-without-zlib-XXXXXX").string();
    if (::mkdtemp(directory.data()) == nullptr) return 2;
    const std::filesystem::path file = std::filesystem::path(directory) / "net.safetensors";
    const Net saved(7);
    tn::io::save_safetensors(file, saved);
    Net loaded(8);
    tn::io::load_safetensors(file, loaded);
    std::filesystem::remove_all(directory);
    const bool same = std::ranges::equal(saved.parameters(), loaded.parameters());
    std::puts(same ? "saved and loaded a model without zlib" : "the loaded parameters differ from the saved ones");
    return same ? 0 : 1;
}

#include "typenet/io/idx.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using ::testing::AllOf;
using ::testing::HasSubstr;

void append_big_endian(Bytes& bytes, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        bytes.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, const Bytes& payload) {
    Bytes bytes;
    for (std::uint32_t word : {0x00000803u, count, rows, cols}) {
        append_big_endian(bytes, word);
    }
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}

Bytes idx_labels(std::uint32_t count, const Bytes& payload) {
    Bytes bytes;
    for (std::uint32_t word : {0x00000801u, count}) {
        append_big_endian(bytes, word);
    }
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}

// 0, 1, 2, ... so that every pixel can be told from its neighbours.
Bytes counting(std::size_t size) {
    Bytes bytes(size);
    std::iota(bytes.begin(), bytes.end(), std::uint8_t{0});
    return bytes;
}

// The message of the DataError `load` throws; a test failure if it throws none.
template <class Load>
std::string data_error_message(Load&& load) {
    try {
        load();
    } catch (const typenet::DataError& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected a typenet::DataError";
    return {};
}

class IdxTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string name = (fs::temp_directory_path() / "typenet-idx-XXXXXX").string();
        ASSERT_NE(::mkdtemp(name.data()), nullptr);
        directory_ = name;
    }
    void TearDown() override { fs::remove_all(directory_); }

    fs::path write_plain(const std::string& name, const Bytes& bytes) const {
        const fs::path path = directory_ / name;
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return path;
    }

    // mode "wb9" compresses, "wb0" only stores (as large as the input).
    fs::path write_gzip(const std::string& name, const Bytes& bytes, const char* mode = "wb9") const {
        const fs::path path = directory_ / name;
        gzFile file = gzopen(path.c_str(), mode);
        EXPECT_NE(file, nullptr);
        EXPECT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
        EXPECT_EQ(gzclose(file), Z_OK);
        return path;
    }

    static Bytes read_all(const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        return Bytes(std::istreambuf_iterator<char>(in), {});
    }

    fs::path directory_;
};

TEST_F(IdxTest, ReadsPlainImages) {
    const fs::path path = write_plain("images", idx_images(3, 2, 4, counting(24)));
    const typenet::io::Images images = typenet::io::load_idx_images(path, 2, 4);
    EXPECT_EQ(images.count, 3u);
    EXPECT_EQ(images.rows, 2u);
    EXPECT_EQ(images.cols, 4u);
    ASSERT_EQ(images.pixels.size(), 24u);
    for (std::size_t i = 0; i < 24; ++i) {
        EXPECT_FLOAT_EQ(images.pixels[i], static_cast<float>(i) / 255.0f);
    }
}

TEST_F(IdxTest, ReadsGzipImagesWhateverTheirName) {
    Bytes payload = counting(24);
    payload.back() = 255;
    // No .gz in the name: gzip is told by its magic bytes.
    const fs::path path = write_gzip("images.idx", idx_images(3, 2, 4, payload));
    const typenet::io::Images images = typenet::io::load_idx_images(path, 2, 4);
    EXPECT_EQ(images.count, 3u);
    ASSERT_EQ(images.pixels.size(), 24u);
    EXPECT_EQ(images.pixels.front(), 0.0f);
    EXPECT_FLOAT_EQ(images.pixels[5], 5.0f / 255.0f);
    EXPECT_EQ(images.pixels.back(), 1.0f);
}

TEST_F(IdxTest, ReadsPlainAndGzipLabels) {
    const Bytes labels{3, 1, 4, 1, 5, 9, 2, 6};
    EXPECT_EQ(typenet::io::load_idx_labels(write_plain("labels", idx_labels(8, labels))), labels);
    EXPECT_EQ(typenet::io::load_idx_labels(write_gzip("labels.gz", idx_labels(8, labels))), labels);
}

TEST_F(IdxTest, ReadsGzipOfSeveralMembers) {
    // `cat a.gz b.gz` is a valid gzip file of the two contents one after the other.
    const Bytes whole = idx_labels(8, {3, 1, 4, 1, 5, 9, 2, 6});
    const Bytes first = read_all(write_gzip("first.gz", Bytes(whole.begin(), whole.begin() + 11)));
    Bytes joined = first;
    const Bytes second = read_all(write_gzip("second.gz", Bytes(whole.begin() + 11, whole.end())));
    joined.insert(joined.end(), second.begin(), second.end());
    EXPECT_EQ(typenet::io::load_idx_labels(write_plain("joined.gz", joined)), Bytes({3, 1, 4, 1, 5, 9, 2, 6}));
}

TEST_F(IdxTest, MissingFile) {
    const fs::path path = directory_ / "absent.gz";
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_labels(path); }),
                AllOf(HasSubstr(path.string() + ": cannot open"), HasSubstr("No such file")));
}

TEST_F(IdxTest, EmptyFile) {
    const fs::path path = write_plain("empty", {});
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(path, 28, 28); }),
                HasSubstr(path.string() + ": the file is empty"));
}

TEST_F(IdxTest, TruncatedHeader) {
    const Bytes header = idx_images(5, 28, 28, {});
    const fs::path path = write_plain("short", Bytes(header.begin(), header.begin() + 7));
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(path, 28, 28); }),
                HasSubstr(path.string() + ": truncated header: an IDX file of images starts with 16 header "
                                          "bytes but the file holds only 7"));
}

TEST_F(IdxTest, TruncatedPayload) {
    const Bytes bytes = idx_images(3, 2, 4, counting(10));
    for (const fs::path& path : {write_plain("short", bytes), write_gzip("short.gz", bytes)}) {
        EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(path, 2, 4); }),
                    HasSubstr(path.string() + ": truncated: header promises 3 images of 2x4 (24 bytes) but "
                                              "only 10 bytes follow the header"));
    }
}

TEST_F(IdxTest, TruncatedGzipStream) {
    const Bytes whole = read_all(write_gzip("whole.gz", idx_images(3, 2, 4, counting(24))));
    const fs::path path = write_plain("cut.gz", Bytes(whole.begin(), whole.end() - 12));
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(path, 2, 4); }),
                HasSubstr(path.string() + ": truncated gzip stream"));
}

TEST_F(IdxTest, WrongMagic) {
    const fs::path labels = write_plain("labels", idx_labels(2, {1, 2}));
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(labels, 28, 28); }),
                HasSubstr(labels.string() + ": not an IDX file of images: its magic number is 0x00000801 "
                                            "(that of an IDX label file), expected 0x00000803"));
    const fs::path text = write_plain("page.html", Bytes{'<', 'h', 't', 'm', 'l', '>', '\n'});
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_labels(text); }),
                HasSubstr(text.string() + ": not an IDX file of labels: its magic number is 0x3c68746d, "
                                          "expected 0x00000801"));
}

TEST_F(IdxTest, WrongImageSize) {
    const fs::path path = write_gzip("images.gz", idx_images(1, 32, 32, counting(1024)));
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(path, 28, 28); }),
                HasSubstr(path.string() + ": images are 32x32 but 28x28 are expected"));
}

TEST_F(IdxTest, ImpossibleImageSizeIsAUsageError) {
    const fs::path path = write_plain("images", idx_images(1, 2, 2, counting(4)));
    EXPECT_THROW(typenet::io::load_idx_images(path, 0, 28), typenet::UsageError);
    EXPECT_THROW(typenet::io::load_idx_images(path, std::size_t{1} << 40, std::size_t{1} << 40),
                 typenet::UsageError);
}

TEST_F(IdxTest, NoItems) {
    const fs::path images = write_plain("images", idx_images(0, 28, 28, {}));
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(images, 28, 28); }),
                HasSubstr(images.string() + ": the header says the file holds no images"));
    const fs::path labels = write_gzip("labels.gz", idx_labels(0, {}));
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_labels(labels); }),
                HasSubstr(labels.string() + ": the header says the file holds no labels"));
}

// 2^32 - 1 images of 28x28 would be 3.4 TB: a DataError (not bad_alloc, not an
// ASan abort) shows the count was checked before anything was allocated.
TEST_F(IdxTest, AbsurdCountFailsBeforeAllocating) {
    const Bytes bytes = idx_images(0xFFFFFFFF, 28, 28, counting(84));
    const fs::path plain = write_plain("plain", bytes);
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(plain, 28, 28); }),
                HasSubstr(plain.string() + ": truncated: header promises 4294967295 images of 28x28 "
                                           "(3367254359280 bytes) but only 84 bytes follow the header"));
    const fs::path gzip = write_gzip("gzip", bytes);
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(gzip, 28, 28); }),
                AllOf(HasSubstr(gzip.string() + ": truncated: header promises 4294967295 images of 28x28 "
                                                "(3367254359280 bytes) but "),
                      HasSubstr(" bytes of gzip cannot inflate to more than ")));
    const fs::path labels = write_plain("labels", idx_labels(0xFFFFFFFF, counting(92)));
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_labels(labels); }),
                HasSubstr(labels.string() + ": truncated: header promises 4294967295 labels (4294967295 bytes) "
                                            "but only 92 bytes follow the header"));
}

// A gzip file of 2.1 MB could hold 2.2 GB, past the limit of 2^31 bytes.
TEST_F(IdxTest, PayloadAboveTheLimit) {
    const std::uint32_t count = (1u << 31) / 784 + 1;
    const fs::path path = write_gzip("large.gz", idx_images(count, 28, 28, Bytes(2'100'000)), "wb0");
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(path, 28, 28); }),
                HasSubstr(path.string() + ": header promises 2739138 images of 28x28 (2147484192 bytes), more "
                                          "than the 2147483648 bytes typenet reads from one file"));
}

TEST_F(IdxTest, TrailingBytes) {
    const Bytes bytes = idx_labels(3, {1, 2, 3, 0, 0, 0, 0, 0});
    for (const fs::path& path : {write_plain("labels", bytes), write_gzip("labels.gz", bytes)}) {
        EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_labels(path); }),
                    HasSubstr(path.string() + ": 5 trailing bytes after the 3 labels the header promises"));
    }
}

TEST_F(IdxTest, CorruptGzip) {
    Bytes bytes = read_all(write_gzip("good.gz", idx_images(3, 2, 4, counting(24))));
    // The first deflate block header follows the 10-byte gzip header; 0xff
    // makes it a final block of the reserved type 3.
    bytes[10] = 0xff;
    const fs::path block = write_plain("block.gz", bytes);
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(block, 2, 4); }),
                HasSubstr(block.string() + ": corrupt gzip data: invalid block type"));

    bytes = read_all(directory_ / "good.gz");
    bytes[bytes.size() - 8] ^= 0xff;  // the CRC-32 of the contents
    const fs::path crc = write_plain("crc.gz", bytes);
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(crc, 2, 4); }),
                HasSubstr(crc.string() + ": corrupt gzip data: incorrect data check"));

    bytes = read_all(directory_ / "good.gz");
    bytes.insert(bytes.end(), {'j', 'u', 'n', 'k'});
    const fs::path appended = write_plain("appended.gz", bytes);
    EXPECT_THAT(data_error_message([&] { typenet::io::load_idx_images(appended, 2, 4); }),
                HasSubstr(appended.string() + ": corrupt gzip data after the end of the gzip stream: "
                                              "incorrect header check"));
}

class FashionMnistTest : public IdxTest {
protected:
    // A miniature Fashion-MNIST of 3 training and 2 test images of 2x2,
    // training files gzip'd and test files plain.
    void write_dataset(const Bytes& train_labels) const {
        write_gzip("train-images-idx3-ubyte.gz", idx_images(3, 2, 2, counting(12)));
        write_gzip("train-labels-idx1-ubyte.gz",
                   idx_labels(static_cast<std::uint32_t>(train_labels.size()), train_labels));
        write_plain("t10k-images-idx3-ubyte", idx_images(2, 2, 2, counting(8)));
        write_plain("t10k-labels-idx1-ubyte", idx_labels(2, {9, 0}));
    }
};

TEST_F(FashionMnistTest, LoadsTheFourFiles) {
    write_dataset({0, 5, 9});
    // A plain file beside a .gz one is ignored: the .gz is taken.
    write_plain("train-labels-idx1-ubyte", {});
    const typenet::io::Dataset dataset = typenet::io::load_fashion_mnist(directory_, 2, 2);
    EXPECT_EQ(dataset.train_images.count, 3u);
    EXPECT_EQ(dataset.train_images.pixels.size(), 12u);
    EXPECT_EQ(dataset.train_labels, Bytes({0, 5, 9}));
    EXPECT_EQ(dataset.test_images.count, 2u);
    EXPECT_FLOAT_EQ(dataset.test_images.pixels[7], 7.0f / 255.0f);
    EXPECT_EQ(dataset.test_labels, Bytes({9, 0}));
}

TEST_F(FashionMnistTest, MissingDirectory) {
    const fs::path absent = directory_ / "absent";
    EXPECT_THAT(data_error_message([&] { typenet::io::load_fashion_mnist(absent); }),
                HasSubstr(absent.string() + ": no such directory"));
    const fs::path file = write_plain("file", {1});
    EXPECT_THAT(data_error_message([&] { typenet::io::load_fashion_mnist(file); }),
                HasSubstr(file.string() + ": not a directory"));
}

TEST_F(FashionMnistTest, MissingFile) {
    write_dataset({0, 5, 9});
    fs::remove(directory_ / "t10k-labels-idx1-ubyte");
    EXPECT_THAT(data_error_message([&] { typenet::io::load_fashion_mnist(directory_, 2, 2); }),
                HasSubstr(directory_.string() +
                          ": neither t10k-labels-idx1-ubyte.gz nor t10k-labels-idx1-ubyte is there"));
}

TEST_F(FashionMnistTest, LabelCountMustMatchImages) {
    write_dataset({0, 5});
    EXPECT_THAT(data_error_message([&] { typenet::io::load_fashion_mnist(directory_, 2, 2); }),
                HasSubstr((directory_ / "train-labels-idx1-ubyte.gz").string() + ": holds 2 labels but " +
                          (directory_ / "train-images-idx3-ubyte.gz").string() + " holds 3 images"));
}

TEST_F(FashionMnistTest, LabelsMustBeClasses) {
    write_dataset({0, 10, 9});
    EXPECT_THAT(data_error_message([&] { typenet::io::load_fashion_mnist(directory_, 2, 2); }),
                HasSubstr((directory_ / "train-labels-idx1-ubyte.gz").string() +
                          ": label 10 at index 1 is not a class from 0 to 9"));
}

TEST(FashionMnist, LoadsTheRealDataset) {
    const fs::path directory = "/usr/share/datasets/fashion-mnist";
    if (!fs::is_directory(directory)) {
        GTEST_SKIP() << directory << " is not installed";
    }
    const typenet::io::Dataset dataset = typenet::io::load_fashion_mnist(directory);
    EXPECT_EQ(dataset.train_images.count, 60000u);
    EXPECT_EQ(dataset.train_labels.size(), 60000u);
    EXPECT_EQ(dataset.test_images.count, 10000u);
    EXPECT_EQ(dataset.test_labels.size(), 10000u);
    for (const typenet::io::Images* images : {&dataset.train_images, &dataset.test_images}) {
        ASSERT_EQ(images->pixels.size(), images->count * 28 * 28);
        const auto [low, high] = std::minmax_element(images->pixels.begin(), images->pixels.end());
        EXPECT_EQ(*low, 0.0f);
        EXPECT_EQ(*high, 1.0f);
    }
    // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
    const auto per_class = [](const Bytes& labels) {
        std::vector<int> counts(10);
        for (std::uint8_t label : labels) {
            ++counts[label];
        }
        return counts;
    };
    EXPECT_EQ(per_class(dataset.train_labels), std::vector<int>(10, 6000));
    EXPECT_EQ(per_class(dataset.test_labels), std::vector<int>(10, 1000));
}

}  // namespace

#include <gtest/gtest.h>
#include "chat/template.h"
using namespace minnow::chat;
TEST(Engine, Smoke) { EXPECT_EQ(ChatTemplate::parse("{{ 1 + 2 }}").render(nlohmann::ordered_json::object()), "3"); }

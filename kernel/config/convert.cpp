// SPDX-License-Identifier: Apache-2.0
//
// The checks behind every key (see convert.hpp). Each kind accepts exactly the forms
// allowed_text() promises, so the message an operator reads is also the rule applied.
#include "config/convert.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

#include "config/values.hpp"

namespace emqx_cpp::config {
namespace {

std::string_view word_name(zero_word w) {
  return w == zero_word::infinity ? "infinity" : w == zero_word::disabled ? "disabled" : "";
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

std::string shown_real(double d) {
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  return std::string(buf.data(), res.ptr);
}

class checker {
 public:
  checker(const key_spec& key, std::string got) : key_(key), got_(std::move(got)) {}

  emqx_cpp::result<value> run(const toml::node& node) const {
    switch (key_.type) {
      case kind::boolean:
        if (const auto* b = node.as_boolean()) {
          value v;
          v.boolean = b->get();
          return v;
        }
        return refuse();
      case kind::integer:
        return integer(node);
      case kind::duration:
        return duration(node);
      case kind::size:
        return size(node);
      case kind::number:
        return number(node);
      case kind::string:
        return string(node);
      case kind::enumeration:
        return enumeration(node);
      case kind::bind:
        return bind(node);
      case kind::string_list:
        return string_list(node);
      case kind::rate:
        return rate(node);
      case kind::priorities:
        return priorities(node);
    }
    return refuse();
  }

 private:
  emqx_cpp::result<value> refuse(std::string_view hint = {}) const {
    return emqx_cpp::make_error("must be " + allowed_text(key_) + ", got " + got_ +
                                std::string(hint));
  }

  bool is_zero_word(const toml::node& node) const {
    const auto* s = node.as_string();
    return key_.word != zero_word::none && s != nullptr && s->get() == word_name(key_.word);
  }

  emqx_cpp::result<value> in_range(std::uint64_t n, std::string_view hint = {}) const {
    if (n < key_.min || n > key_.max) return refuse(hint);
    value v;
    v.number = n;
    return v;
  }

  emqx_cpp::result<value> integer(const toml::node& node) const {
    if (is_zero_word(node)) return value{};
    const auto* i = node.as_integer();
    if (i == nullptr || i->get() < 0) return refuse();
    return in_range(static_cast<std::uint64_t>(i->get()));
  }

  emqx_cpp::result<value> duration(const toml::node& node) const {
    static constexpr std::string_view unit_hint = R"( (a duration needs a unit, e.g. "15s"))";
    if (is_zero_word(node)) return value{};
    if (node.is_integer()) return refuse(unit_hint);
    const auto* s = node.as_string();
    if (s == nullptr) return refuse();
    if (all_digits(s->get())) return refuse(unit_hint);
    const auto ms = parse_duration_ms(s->get());
    if (!ms) return refuse();
    return in_range(*ms);
  }

  emqx_cpp::result<value> priorities(const toml::node& node) const {
    if (const auto* s = node.as_string(); s != nullptr && s->get() == "disabled") return value{};
    const auto* t = node.as_table();
    if (t == nullptr) return refuse();
    value v;
    for (const auto& [k, n] : *t) {
      const auto* i = n.as_integer();
      if (i == nullptr || i->get() < 1 || i->get() > 255 || k.str().empty()) return refuse();
      v.list.emplace_back(k.str());
      v.list.push_back(std::to_string(i->get()));
    }
    return v;
  }

  emqx_cpp::result<value> rate(const toml::node& node) const {
    const auto* s = node.as_string();
    if (s == nullptr) return refuse();
    if (s->get() == "infinity") {
      value v;
      v.real = 1000;
      return v;
    }
    const auto r = parse_rate(s->get());
    if (!r) return refuse();
    value v;
    v.number = r->first;
    v.real = static_cast<double>(r->second);
    return v;
  }

  emqx_cpp::result<value> size(const toml::node& node) const {
    if (const auto* i = node.as_integer()) {
      if (i->get() < 0) return refuse();
      return in_range(static_cast<std::uint64_t>(i->get()));
    }
    const auto* s = node.as_string();
    if (s == nullptr) return refuse();
    const auto bytes = parse_size(s->get());
    if (!bytes) return refuse();
    return in_range(*bytes);
  }

  emqx_cpp::result<value> number(const toml::node& node) const {
    double d = 0;
    if (const auto* f = node.as_floating_point()) {
      d = f->get();
    } else if (const auto* i = node.as_integer()) {
      d = static_cast<double>(i->get());
    } else {
      return refuse();
    }
    // Written so that NaN fails too.
    if (!(d > 0 && d <= static_cast<double>(key_.max))) return refuse();
    value v;
    v.real = d;
    return v;
  }

  emqx_cpp::result<value> string(const toml::node& node) const {
    const auto* s = node.as_string();
    if (s == nullptr) return refuse();
    if (key_.text_ok != nullptr && !key_.text_ok(s->get())) return refuse();
    value v;
    v.text = s->get();
    return v;
  }

  emqx_cpp::result<value> enumeration(const toml::node& node) const {
    const auto* s = node.as_string();
    if (s == nullptr) return refuse();
    const auto it = std::find(key_.choices.begin(), key_.choices.end(), s->get());
    if (it == key_.choices.end()) return refuse();
    value v;
    v.number = static_cast<std::uint64_t>(it - key_.choices.begin());
    v.text = s->get();
    return v;
  }

  emqx_cpp::result<value> bind(const toml::node& node) const {
    std::optional<bind_address> b;
    if (const auto* i = node.as_integer()) {
      // EMQX accepts a bare port number here too.
      if (i->get() >= 0 && i->get() <= 65535) {
        b = bind_address{"0.0.0.0", static_cast<std::uint16_t>(i->get())};
      }
    } else if (const auto* s = node.as_string()) {
      b = parse_bind(s->get());
    }
    if (!b) return refuse();
    value v;
    v.text = b->host;
    v.number = b->port;
    return v;
  }

  emqx_cpp::result<value> string_list(const toml::node& node) const {
    const auto* a = node.as_array();
    if (a == nullptr) return refuse();
    value v;
    for (const auto& item : *a) {
      const auto* s = item.as_string();
      if (s == nullptr) return refuse();
      v.list.push_back(s->get());
    }
    return v;
  }

  const key_spec& key_;
  std::string got_;
};

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

// Gives environment text the TOML type the key expects where it parses as one; text
// that does not stays a string and is refused by the same checks as the file's.
void insert_typed(toml::table& holder, const key_spec& key, std::string_view text) {
  const auto* first = text.data();
  const auto* last = text.data() + text.size();
  switch (key.type) {
    case kind::boolean:
      if (text == "true" || text == "false") {
        holder.insert("v", text == "true");
        return;
      }
      break;
    case kind::integer:
    case kind::size: {
      std::int64_t n = 0;
      const auto [ptr, ec] = std::from_chars(first, last, n);
      if (ec == std::errc{} && ptr == last && !text.empty()) {
        holder.insert("v", n);
        return;
      }
      break;
    }
    case kind::number: {
      double d = 0;
      const auto [ptr, ec] = std::from_chars(first, last, d);
      if (ec == std::errc{} && ptr == last && !text.empty()) {
        holder.insert("v", d);
        return;
      }
      break;
    }
    case kind::priorities: {
      // "topic=10,other/topic=5" from the environment.
      if (text == "disabled") break;
      toml::table entries;
      std::size_t start = 0;
      while (start <= text.size()) {
        const auto comma = std::min(text.find(',', start), text.size());
        const auto item = trim(text.substr(start, comma - start));
        const auto eq = item.rfind('=');
        std::int64_t n = 0;
        const auto* nb = item.data() + (eq == std::string::npos ? 0 : eq + 1);
        const auto [ptr, ec] = std::from_chars(nb, item.data() + item.size(), n);
        if (eq == std::string::npos || ec != std::errc{} || ptr != item.data() + item.size()) {
          holder.insert("v", std::string(text));  // refused by the same check as the file's
          return;
        }
        entries.insert(item.substr(0, eq), n);
        start = comma + 1;
      }
      holder.insert("v", std::move(entries));
      return;
    }
    case kind::string_list: {
      toml::array items;
      std::size_t start = 0;
      while (start <= text.size()) {
        const auto comma = std::min(text.find(',', start), text.size());
        auto item = trim(text.substr(start, comma - start));
        if (!item.empty()) items.push_back(std::move(item));
        start = comma + 1;
      }
      holder.insert("v", std::move(items));
      return;
    }
    default:
      break;
  }
  holder.insert("v", std::string(text));
}

}  // namespace

std::string shown(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: {
      const auto& s = node.as_string()->get();
      constexpr std::size_t longest = 60;
      return s.size() <= longest ? toml_quote(s) : toml_quote(s.substr(0, longest)) + "...";
    }
    case toml::node_type::integer:
      return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point:
      return shown_real(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

emqx_cpp::result<value> convert(const key_spec& key, const toml::node& node) {
  return checker(key, shown(node)).run(node);
}

emqx_cpp::result<value> convert_text(const key_spec& key, std::string_view text) {
  toml::table holder;
  insert_typed(holder, key, text);
  return checker(key, toml_quote(text)).run(*holder.get("v"));
}

}  // namespace emqx_cpp::config

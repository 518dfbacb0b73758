// SPDX-License-Identifier: Apache-2.0
#include "broker/router.hpp"

#include <algorithm>

namespace emqx_cpp::broker {

void router::split_levels(std::string_view topic, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(topic.substr(start));
      return;
    }
    out.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

router::router() : root_(std::make_unique<node>()) {}
router::~router() = default;

router::node* router::find_or_create(std::string_view filter) {
  node* n = root_.get();
  std::vector<std::string_view> levels;
  split_levels(filter, levels);
  for (auto level : levels) {
    std::unique_ptr<node>* slot = nullptr;
    if (level == "+") {
      slot = &n->plus;
    } else if (level == "#") {
      slot = &n->hash;
    } else {
      auto it = n->children.find(level);
      if (it == n->children.end())
        it = n->children.emplace(std::string(level), std::make_unique<node>()).first;
      slot = &it->second;
    }
    if (!*slot) *slot = std::make_unique<node>();
    (*slot)->parent = n;
    (*slot)->level = std::string(level);
    n = slot->get();
  }
  return n;
}

router::node* router::find(std::string_view filter) const {
  node* n = root_.get();
  std::vector<std::string_view> levels;
  split_levels(filter, levels);
  for (auto level : levels) {
    if (level == "+") {
      n = n->plus.get();
    } else if (level == "#") {
      n = n->hash.get();
    } else {
      auto it = n->children.find(level);
      n = it == n->children.end() ? nullptr : it->second.get();
    }
    if (n == nullptr) return nullptr;
  }
  return n;
}

void router::prune(node* n) {
  while (n != root_.get() && n->empty()) {
    node* parent = n->parent;
    if (parent->plus.get() == n) {
      parent->plus.reset();
    } else if (parent->hash.get() == n) {
      parent->hash.reset();
    } else {
      parent->children.erase(n->level);
    }
    n = parent;
  }
}

router::change router::add(std::string_view filter, std::string_view group, const route& r) {
  node* n = find_or_create(filter);
  const bool had = n->has_subscribers();
  const bool had_local = n->has_local();
  std::vector<route>* list = &n->routes;
  if (!group.empty()) {
    auto g = std::find_if(n->groups.begin(), n->groups.end(),
                          [&](const share_group& s) { return s.name == group; });
    if (g == n->groups.end()) {
      n->groups.push_back(share_group{std::string(group), std::string(filter), {}, 0, SIZE_MAX});
      g = n->groups.end() - 1;
    }
    list = &g->members;
  }
  for (auto& existing : *list) {
    if (existing.who == r.who) {
      existing = r;
      return change::none;
    }
  }
  list->push_back(r);
  routes_.fetch_add(1, std::memory_order_relaxed);
  if (!had) filters_.fetch_add(1, std::memory_order_relaxed);
  return had_local ? change::added : change::first_local;
}

router::change router::remove(std::string_view filter, std::string_view group, subscriber_ref who) {
  node* n = find(filter);
  if (n == nullptr) return change::none;
  bool removed = false;
  auto drop = [&](std::vector<route>& list) {
    auto it = std::find_if(list.begin(), list.end(), [&](const route& r) { return r.who == who; });
    if (it == list.end()) return;
    list.erase(it);
    removed = true;
  };
  if (group.empty()) {
    drop(n->routes);
  } else {
    auto g = std::find_if(n->groups.begin(), n->groups.end(),
                          [&](const share_group& s) { return s.name == group; });
    if (g != n->groups.end()) {
      drop(g->members);
      if (g->members.empty()) {
        n->groups.erase(g);
      } else {
        if (g->next >= g->members.size()) g->next = 0;
        g->sticky = SIZE_MAX;
      }
    }
  }
  if (!removed) return change::none;
  routes_.fetch_sub(1, std::memory_order_relaxed);
  if (!n->has_subscribers()) filters_.fetch_sub(1, std::memory_order_relaxed);
  const bool still_local = n->has_local();
  prune(n);
  return still_local ? change::removed : change::last_local;
}

bool router::add_remote(std::string_view filter, std::uint16_t node_index) {
  node* n = find_or_create(filter);
  if (std::find(n->remotes.begin(), n->remotes.end(), node_index) != n->remotes.end()) return false;
  const bool had = n->has_subscribers();
  n->remotes.push_back(node_index);
  routes_.fetch_add(1, std::memory_order_relaxed);
  if (!had) filters_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool router::remove_remote(std::string_view filter, std::uint16_t node_index) {
  node* n = find(filter);
  if (n == nullptr) return false;
  auto it = std::find(n->remotes.begin(), n->remotes.end(), node_index);
  if (it == n->remotes.end()) return false;
  n->remotes.erase(it);
  routes_.fetch_sub(1, std::memory_order_relaxed);
  if (!n->has_subscribers()) filters_.fetch_sub(1, std::memory_order_relaxed);
  prune(n);
  return true;
}

std::size_t router::remove_node_from(node* n, std::uint16_t node_index) {
  std::size_t removed = 0;
  auto it = std::find(n->remotes.begin(), n->remotes.end(), node_index);
  if (it != n->remotes.end()) {
    n->remotes.erase(it);
    ++removed;
    routes_.fetch_sub(1, std::memory_order_relaxed);
    if (!n->has_subscribers()) filters_.fetch_sub(1, std::memory_order_relaxed);
  }
  for (auto& [level, child] : n->children)
    removed += remove_node_from(child.get(), node_index);
  if (n->plus) removed += remove_node_from(n->plus.get(), node_index);
  if (n->hash) removed += remove_node_from(n->hash.get(), node_index);
  return removed;
}

std::size_t router::remove_node(std::uint16_t node_index) {
  // Prunes nothing while walking; empty nodes go with the next removal below them.
  return remove_node_from(root_.get(), node_index);
}

void router::collect_filters(const node* n, std::string& prefix,
                             std::vector<std::string>& out) const {
  if (n != root_.get() && n->has_local()) out.push_back(prefix);
  auto visit = [&](const node* child, std::string_view level) {
    const auto size = prefix.size();
    if (n != root_.get()) prefix.push_back('/');
    prefix.append(level);
    collect_filters(child, prefix, out);
    prefix.resize(size);
  };
  for (const auto& [level, child] : n->children)
    visit(child.get(), level);
  if (n->plus) visit(n->plus.get(), "+");
  if (n->hash) visit(n->hash.get(), "#");
}

void router::local_filters(std::vector<std::string>& out) const {
  std::string prefix;
  collect_filters(root_.get(), prefix, out);
}

share_group* router::find_group(std::string_view filter, std::string_view group) {
  node* n = find(filter);
  if (n == nullptr) return nullptr;
  for (auto& g : n->groups) {
    if (g.name == group) return &g;
  }
  return nullptr;
}

}  // namespace emqx_cpp::broker

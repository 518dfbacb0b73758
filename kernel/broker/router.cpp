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

bool router::add(std::string_view filter, std::string_view group, const route& r) {
  node* n = find_or_create(filter);
  const bool had = n->has_subscribers();
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
      return false;
    }
  }
  list->push_back(r);
  routes_.fetch_add(1, std::memory_order_relaxed);
  if (!had) filters_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool router::remove(std::string_view filter, std::string_view group, subscriber_ref who) {
  node* n = find(filter);
  if (n == nullptr) return false;
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
  if (!removed) return false;
  routes_.fetch_sub(1, std::memory_order_relaxed);
  if (!n->has_subscribers()) filters_.fetch_sub(1, std::memory_order_relaxed);
  prune(n);
  return true;
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

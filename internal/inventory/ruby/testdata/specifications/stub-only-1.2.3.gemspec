# -*- encoding: utf-8 -*-
# stub: stub-only 1.2.3 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = NAME_FROM_CONSTANT
end

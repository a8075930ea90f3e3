# A gemspec as written by hand in a gem's repository (before RubyGems normalises it).
Gem::Specification.new do |spec|
  spec.name          = %q{source-style}
  spec.version       = '0.1.0' # bumped by the release script
  spec.authors       = ["Someone"]
  spec.license       = "Apache-2.0"
  spec.metadata["name"] = "not-the-name"
  other.name = "not-the-name-either"
end

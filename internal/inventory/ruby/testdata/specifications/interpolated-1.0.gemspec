Gem::Specification.new do |s|
  s.name = "interpolated-#{x}"
  s.version = "1.0"
end

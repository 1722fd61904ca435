module github.com/oxywatch/oxywatch

go 1.26.0

require gopkg.in/yaml.v3 v3.0.1

require (
	github.com/kr/text v0.2.0 // indirect
	github.com/niemeyer/pretty v0.0.0-20200227124842-a10e7caefd8e // indirect
	gopkg.in/check.v1 v1.0.0-20200227125254-8fa46927fb4f // indirect
)
